//! A real `redis-server` for tests: started on a free port in a directory of its own, killed
//! when dropped. One file for the bridge's unit tests (`test_redis.rs` adds a connection to it)
//! and the integration tests' harness (`tests/harness/redis.rs` includes this file by path), so
//! both start, wait for and restart the server the same way. It uses std, `tempfile` and `rcgen`
//! only, which both sides have.
//!
//! Where `redis-server` is missing (a developer's Mac, CI's Windows runners) the tests that need
//! it say so loudly and pass without running, unless `CHATROOM_REQUIRE_REDIS` is set (`.ci/run`
//! sets it after installing the server): there, a missing server is a failure.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a starting server may take to answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a server answers yet: `Err` says why not. Each side probes with its own client.
pub(crate) type Probe = fn(&TestRedis) -> Result<(), String>;

pub(crate) struct TestRedis {
    child: Child,
    ready: Probe,
    port: u16,
    /// Its working directory, where an append-only file survives a restart.
    dir: TempDir,
    /// Whether it keeps an append-only file (`--appendonly yes`).
    persistent: bool,
    /// With TLS only (`rediss://`): its self-signed certificate, in PEM.
    certificate: Option<String>,
}

impl TestRedis {
    /// A server (keeping an append-only file when `persistent`, reached only with TLS and a
    /// self-signed certificate when `tls`), answering `ready` once started; `None` (after a
    /// loud message) when there is no `redis-server` to start and none is required.
    pub(crate) fn launch(persistent: bool, tls: bool, ready: Probe) -> Option<TestRedis> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var_os("CHATROOM_REQUIRE_REDIS").is_none(),
                "redis-server is not installed, and CHATROOM_REQUIRE_REDIS says the bridge's \
                 tests must run: install it (Debian: apt-get install redis-server)"
            );
            eprintln!(
                "\n*** redis-server is not installed: SKIPPING this test of the Redis bridge \
                 (install redis-server to run it) ***\n"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("a directory for redis-server");
        let certificate = tls.then(|| write_certificate(&dir));
        let mut redis = TestRedis {
            child: spawn(port, &dir, persistent, tls),
            ready,
            port,
            dir,
            persistent,
            certificate,
        };
        redis.wait_ready();
        Some(redis)
    }

    pub(crate) fn url(&self) -> String {
        let scheme = if self.certificate.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The server's self-signed certificate (PEM), when it speaks TLS.
    pub(crate) fn certificate(&self) -> Option<&str> {
        self.certificate.as_deref()
    }

    /// The server's process id (for reading its CPU time).
    #[allow(dead_code)] // only some tests read it
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port, from the same directory.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.child = spawn(
            self.port,
            &self.dir,
            self.persistent,
            self.certificate.is_some(),
        );
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        while let Err(why) = (self.ready)(self) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "redis-server on port {} exited ({status}): {why}",
                    self.port
                );
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "redis-server on port {} did not answer within {START_TIMEOUT:?}: {why}",
                self.port
            );
            sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Makes a self-signed certificate for 127.0.0.1 in `dir` (cert.pem, key.pem); returns it.
fn write_certificate(dir: &TempDir) -> String {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("a test certificate");
    let pem = made.cert.pem();
    std::fs::write(dir.path().join("cert.pem"), &pem).expect("cert.pem written");
    std::fs::write(dir.path().join("key.pem"), made.signing_key.serialize_pem())
        .expect("key.pem written");
    pem
}

fn spawn(port: u16, dir: &TempDir, persistent: bool, tls: bool) -> Child {
    let port = port.to_string();
    let ports: &[&str] = if tls {
        &[
            "--port",
            "0",
            "--tls-port",
            &port,
            "--tls-auth-clients",
            "no",
        ]
    } else {
        &["--port", &port]
    };
    let certificates: &[&str] = if tls {
        &["--tls-cert-file", "cert.pem", "--tls-key-file", "key.pem"]
    } else {
        &[]
    };
    Command::new("redis-server")
        .args(ports)
        .args(certificates)
        .args(["--bind", "127.0.0.1", "--save", ""])
        .args(["--appendonly", if persistent { "yes" } else { "no" }])
        // Every write on disk before it is answered: a killed server loses nothing it took.
        .args(["--appendfsync", "always"])
        .arg("--dir")
        .arg(dir.path())
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts")
}
