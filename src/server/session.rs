//! One client's connection, from its first byte to its last: the handshake, then its requests.
//!
//! Each connection gets its own session thread. It reads lines with a hard length limit, paces
//! them through the client's token bucket, parses and sanitizes them, and passes requests to the
//! hub. Doing this work here, not on the hub, means a client that sends junk spends its own
//! thread's time, and the hub only ever sees clean, valid requests. Before the client has joined,
//! the session answers it directly (greeting, nickname errors); afterwards everything the client
//! receives goes through the hub and the client's writer.

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use super::hub::{ConnId, JoinRequest, ToHub};
use super::outbox;
use super::ratelimit::TokenBucket;
use crate::line::{Line, LineReader};
use crate::protocol::parse::{self, Handshake, Refusal};
use crate::protocol::{ErrorCode, Event, Mode, plain};

/// How many bytes a session reads from its socket at a time.
const READ_SIZE: usize = 4096;

/// A blocked write during the handshake (or a writer stuck behind a dead peer) gives up after this.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What every session needs to know; shared by all of them.
pub struct SessionConfig {
    pub room: String,
    pub max_line: usize,
    pub rate: u32,
    pub burst: u32,
    pub handshake_timeout: Duration,
    pub outbox: usize,
}

/// Runs one connection to its end.
pub fn run(conn: ConnId, stream: TcpStream, config: &SessionConfig, hub: &Sender<ToHub>) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let mut lines = LineReader::new(&stream, config.max_line, READ_SIZE);
    if (&stream)
        .write_all(plain::greeting(&config.room).as_bytes())
        .is_err()
    {
        return;
    }
    let Some(mode) = handshake(conn, &stream, &mut lines, config, hub) else {
        return;
    };
    if stream.set_read_timeout(None).is_err() {
        let _ = hub.send(ToHub::Gone { conn });
        return;
    }
    serve(conn, mode, &mut lines, config, hub);
}

/// Waits for an acceptable first line and joins the room; the mode on success.
fn handshake(
    conn: ConnId,
    stream: &TcpStream,
    lines: &mut LineReader<&TcpStream>,
    config: &SessionConfig,
    hub: &Sender<ToHub>,
) -> Option<Mode> {
    let deadline = Instant::now() + config.handshake_timeout;
    // Answers go out in the dialect the client last tried; plain until it tries JSON.
    let mut mode = Mode::Plain;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() || stream.set_read_timeout(Some(remaining)).is_err() {
            return timed_out(stream, mode, config);
        }
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(e) if is_timeout(&e) => return timed_out(stream, mode, config),
            Err(_) => return None,
        };
        let attempt = match line {
            Line::Text(text) => {
                if text.trim_start().starts_with('{') {
                    mode = Mode::Json;
                }
                parse::parse_handshake(&text)
            }
            Line::TooLong => Err(too_long(config.max_line)),
        };
        let refusal = match attempt {
            Ok(Handshake::Blank) => continue,
            Ok(Handshake::Quit) => return None,
            Ok(Handshake::Hello { mode, nick }) => {
                match join(conn, stream, mode, nick, config, hub) {
                    Ok(()) => return Some(mode),
                    Err(refusal) => refusal,
                }
            }
            Err(refusal) => refusal,
        };
        let last_try = refusal_is_final(&refusal);
        let hint = if mode == Mode::Plain && refusal.code.is_nick_problem() {
            "; type another nickname"
        } else {
            ""
        };
        let error = Event::Error {
            code: refusal.code,
            message: format!("{}{hint}", refusal.message),
            id: None,
        };
        if write_event(stream, mode, &error).is_err() || last_try {
            return None;
        }
    }
}

/// Refusals after which the connection is closed rather than given another try.
fn refusal_is_final(refusal: &Refusal) -> bool {
    matches!(
        refusal.code,
        ErrorCode::RoomFull | ErrorCode::UnsupportedVersion
    )
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn timed_out(stream: &TcpStream, mode: Mode, config: &SessionConfig) -> Option<Mode> {
    let error = Event::Error {
        code: ErrorCode::HandshakeTimeout,
        message: format!(
            "no nickname received within {} s; closing",
            config.handshake_timeout.as_secs()
        ),
        id: None,
    };
    let _ = write_event(stream, mode, &error);
    None
}

fn write_event(mut stream: &TcpStream, mode: Mode, event: &Event) -> io::Result<()> {
    let text = match mode {
        Mode::Plain => plain::render(event),
        Mode::Json => event.to_json_line(),
    };
    stream.write_all(text.as_bytes())
}

fn too_long(max_line: usize) -> Refusal {
    Refusal::new(
        ErrorCode::LineTooLong,
        format!("line is longer than {max_line} bytes; it was discarded"),
    )
}

/// Asks the hub to let us in; on success starts our writer.
fn join(
    conn: ConnId,
    stream: &TcpStream,
    mode: Mode,
    nick: String,
    config: &SessionConfig,
    hub: &Sender<ToHub>,
) -> Result<(), Refusal> {
    let gone = || Refusal::new(ErrorCode::RoomFull, "the room is closing");
    let (tx, rx) = outbox::queue(config.outbox);
    let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
    let request = JoinRequest {
        conn,
        nick,
        mode,
        stream: stream.try_clone().map_err(|_| gone())?,
        outbox: tx,
        reply: reply_tx,
    };
    hub.send(ToHub::Join(request)).map_err(|_| gone())?;
    let flushed = reply_rx.recv().map_err(|_| gone())??;
    let writer_stream = stream.try_clone().map_err(|_| gone())?;
    if outbox::spawn_writer(writer_stream, rx, flushed).is_err() {
        let _ = hub.send(ToHub::Gone { conn });
        return Err(gone());
    }
    Ok(())
}

/// Reads the member's lines until it quits or the connection ends.
fn serve(
    conn: ConnId,
    mode: Mode,
    lines: &mut LineReader<&TcpStream>,
    config: &SessionConfig,
    hub: &Sender<ToHub>,
) {
    let mut pacer = (config.rate > 0).then(|| Pacer::new(config.rate, config.burst));
    loop {
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => {
                let _ = hub.send(ToHub::Gone { conn });
                return;
            }
        };
        if matches!(&line, Line::Text(text) if text.trim().is_empty()) {
            continue;
        }
        if let Some(pacer) = &mut pacer {
            pacer.wait_for_token(conn, hub);
        }
        let parsed = match line {
            Line::TooLong => Err(too_long(config.max_line)),
            Line::Text(text) => match mode {
                Mode::Plain => parse::parse_plain(&text).map(|request| (None, request)),
                Mode::Json => parse::parse_json(&text).map(|i| (i.id, Some(i.request))),
            },
        };
        let (message, quitting) = match parsed {
            Ok((_, None)) => continue,
            Ok((id, Some(request))) => {
                let quitting = request == parse::Request::Quit;
                (ToHub::Request { conn, id, request }, quitting)
            }
            Err(refusal) => (ToHub::Refused { conn, refusal }, false),
        };
        if hub.send(message).is_err() || quitting {
            return;
        }
    }
}

/// Flood control for one session: waits for tokens and warns the client once per flood.
struct Pacer {
    bucket: TokenBucket,
    rate: u32,
    warned: bool,
}

impl Pacer {
    fn new(rate: u32, burst: u32) -> Self {
        Pacer {
            bucket: TokenBucket::new(rate, burst, Instant::now()),
            rate,
            warned: false,
        }
    }

    fn wait_for_token(&mut self, conn: ConnId, hub: &Sender<ToHub>) {
        if self.warned && self.bucket.is_full(Instant::now()) {
            self.warned = false; // The flood is over; warn again if another one starts.
        }
        while let Err(wait) = self.bucket.try_take(Instant::now()) {
            if !self.warned {
                self.warned = true;
                let refusal = Refusal::new(
                    ErrorCode::SlowDown,
                    format!("slow down (limit {} msg/s)", self.rate),
                );
                let _ = hub.send(ToHub::Refused { conn, refusal });
            }
            std::thread::sleep(wait);
        }
    }
}

/// Lets a session config be shared by every session thread.
pub type Shared = Arc<SessionConfig>;
