# chatroom host in a container: a static (musl) binary on an empty base image, run as a non-root
# user. Build and run (see the README, "Running a host as a service"):
#
#   docker build -t chatroom .
#   docker run -d --name chatroom -p 55555:55555 chatroom --name ops --max-clients 50
#
# Arguments after the image name go to `chatroom host`. To move the room to another port, set
# CHATROOM_PORT (-e CHATROOM_PORT=6000 -p 6000:6000): the host and the health check both read it.

# The build stage: Alpine's Rust is a musl toolchain, so the binary is static without a
# cross-compiler. Keep the version in step with rust-version in Cargo.toml.
FROM rust:1.95-alpine AS build
# musl-dev: the C runtime objects the linker needs. Not version-pinned: Alpine keeps only the
# current build of a package, so a pin breaks as soon as it is updated.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
    && cp target/release/chatroom /chatroom

# The runtime stage: nothing but the binary. No shell, no package manager, no libc.
FROM scratch
COPY --from=build /chatroom /chatroom
# An unprivileged user and group that exist nowhere else (scratch has no /etc/passwd; numbers
# are enough). The room's port is above 1024, so no capability is needed.
USER 65532:65532
ENV CHATROOM_PORT=55555
EXPOSE 55555
# `docker stop` sends SIGTERM: the host tells every client the room is closing, flushes what they
# are owed and exits 0 (chatroom handles the signal itself, so running as PID 1 is fine).
STOPSIGNAL SIGTERM
# There is no shell here, so the probe is chatroom itself: `send` joins unannounced (no join or
# leave notice) and sends a private message to its own nickname. The host must accept the
# connection, welcome the probe and acknowledge the message, or send exits non-zero; private
# messages are never shown on the host's console or logged. A room that is full (--max-clients),
# or a person who took the nickname "healthcheck", makes the probe fail.
HEALTHCHECK --interval=30s --timeout=10s --start-period=5s --retries=3 \
    CMD ["/chatroom", "send", "--server", "127.0.0.1", "--nick", "healthcheck", "--to", "healthcheck", "--timeout", "5", "ping"]
ENTRYPOINT ["/chatroom", "host"]
