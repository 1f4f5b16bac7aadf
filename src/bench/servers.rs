//! Which host each client of a run connects to: one, or several hosts of one room shared through
//! Redis (`--servers A,B,C`), taken round-robin.
//!
//! Client `i` (senders first, then readers, as everywhere in the bench) goes to host
//! `i % hosts`, so each host gets an even share of the senders and of the readers, and a
//! delivery between clients on different hosts crosses the shared room's path.

use crate::client::target::{self, Target};

/// The host client `client` (from 0) connects to, of `hosts`.
pub fn host_of(client: usize, hosts: usize) -> usize {
    client % hosts.max(1)
}

/// Clients of `clients` that connect to host `host` of `hosts`.
pub fn clients_on(host: usize, clients: usize, hosts: usize) -> usize {
    (0..clients).filter(|&c| host_of(c, hosts) == host).count()
}

/// The addresses of `--servers` (clap has split them at the commas), each `HOST`, `HOST:PORT` or
/// `[IPv6]:PORT`, with `port` for those that name none; why not, in one line.
pub fn parse(list: &[String], port: Option<u16>) -> Result<Vec<Target>, String> {
    if list.is_empty() {
        return Err("--servers names no host; give HOST:PORT,HOST:PORT,...".into());
    }
    let mut targets: Vec<Target> = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        if entry.trim().is_empty() {
            return Err(format!(
                "--servers: address {} of {} is empty; give HOST:PORT,HOST:PORT,... without \
                 spaces or doubled commas",
                i + 1,
                list.len()
            ));
        }
        let target = target::parse(entry, port).map_err(|why| format!("--servers: {why}"))?;
        if targets.contains(&target) {
            return Err(format!(
                "--servers names {target} twice; each host of the room once"
            ));
        }
        targets.push(target);
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn clients_go_round_robin() {
        let hosts: Vec<usize> = (0..7).map(|c| host_of(c, 3)).collect();
        assert_eq!(hosts, [0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(host_of(5, 1), 0);
        let shares: Vec<usize> = (0..3).map(|h| clients_on(h, 100, 3)).collect();
        assert_eq!(shares, [34, 33, 33]);
    }

    #[test]
    fn addresses_are_parsed_with_the_default_port() {
        let targets = parse(&list(&["127.0.0.1:6001", "localhost", "[::1]:6003"]), None).unwrap();
        let shown: Vec<String> = targets.iter().map(Target::to_string).collect();
        assert_eq!(shown, ["127.0.0.1:6001", "localhost:55555", "[::1]:6003"]);
        let targets = parse(&list(&["a", "b:7"]), Some(7)).unwrap();
        assert_eq!(targets[0].to_string(), "a:7");
    }

    #[test]
    fn bad_lists_say_what_is_wrong() {
        let error = |entries: &[&str]| parse(&list(entries), None).unwrap_err();
        assert!(error(&[]).contains("names no host"));
        assert!(error(&["a:1", "", "b:2"]).contains("address 2 of 3 is empty"));
        assert!(error(&["a:1", "a:1"]).contains("names a:1 twice"));
        assert!(error(&["a:notaport"]).starts_with("--servers: "));
    }
}
