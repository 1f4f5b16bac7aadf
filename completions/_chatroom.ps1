
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'chatroom' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'chatroom'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'chatroom' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file, not even --config''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('host', 'host', [CompletionResultType]::ParameterValue, 'Start a room and print its activity until Ctrl-C')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Post messages into a room: the words given, or one message per line of stdin')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure a room: fan-out throughput, latency, loss and the host''s CPU and memory')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff) to stdout: chatroom(1), or one command''s page')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'chatroom;host' {
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Address to listen on (0.0.0.0 for every IPv4 interface, :: for IPv6 too)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to listen on; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 lets the operating system choose a free one')
            [CompletionResult]::new('--max-clients', '--max-clients', [CompletionResultType]::ParameterName, 'How many people may be in the room at once; one more is told the room is full')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The room''s name, shown to everyone who joins')
            [CompletionResult]::new('--motd', '--motd', [CompletionResultType]::ParameterName, 'A message of the day, shown to everyone who joins')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'Append the room''s activity to this file, one line per event with a full UTC timestamp')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How the console and --log-file are written: text for people, or json, one JSON object per line for log shippers (room events exactly as JSON clients receive them; the first line on stdout stays `listening on IP:PORT`)')
            [CompletionResult]::new('--max-line', '--max-line', [CompletionResultType]::ParameterName, 'Longest line a client may send, in bytes (newline excluded); longer lines are refused')
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Messages per second each client may send before the host paces it; 0 disables the limit')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'How many messages a client may send in a burst before --rate-limit applies')
            [CompletionResult]::new('--handshake-timeout', '--handshake-timeout', [CompletionResultType]::ParameterName, 'Seconds a new connection has to send its nickname before it is closed')
            [CompletionResult]::new('--quiet-above', '--quiet-above', [CompletionResultType]::ParameterName, 'In rooms bigger than this, joins and leaves are announced as one sum every 2 seconds ("37 joined and 2 left"), and the welcome does not list everyone')
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'Public messages (and /me actions) the room keeps and replays to each newcomer right after its welcome, with their original time and sender; never private messages, joins or leaves. 0 keeps none. Kept in memory: at most N x --max-line bytes')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'How many undelivered messages a client may fall behind before it is disconnected')
            [CompletionResult]::new('--max-queued', '--max-queued', [CompletionResultType]::ParameterName, 'Mebibytes the host may hold, for all clients together, of replies and private messages waiting for clients that are not reading. Once they are spent, a private message to someone not reading is refused to its sender, and a client whose replies would have to wait is disconnected like one too far behind (--outbox)')
            [CompletionResult]::new('--max-per-ip', '--max-per-ip', [CompletionResultType]::ParameterName, 'Connections one address (an IPv4 address, or an IPv6 /64 network) may hold at once; a quarter of them may be choosing a nickname, and it may open N/2 a second after a burst of N. Loopback counts like any address. 0: no per-address limits')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Seconds a connection may be silent before the host checks that the client''s machine is still there (TCP keepalive); one that misses 3 checks, SECS/3 apart, is let go and its nickname freed. A JSON client is also sent a ping, and let go if nothing arrives from it within another SECS. 0 turns the checks off')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Give the room a password, read from the first line of this file: whoever joins must give it (nc users type it before their nickname; clients take --password-file or CHATROOM_PASSWORD, or ask). Without TLS it crosses the network in clear text')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Give the room this password (instead of --password-file). On the command line it is visible to other users in `ps` and kept in shell history: prefer --password-file, or the environment variable')
            [CompletionResult]::new('--op-password-file', '--op-password-file', [CompletionResultType]::ParameterName, 'Let members become operators with `/op PASSWORD`, the operator password read from the first line of this file (or from CHATROOM_OP_PASSWORD). Operators kick, ban, mute and set the topic; whoever runs the host in a terminal always can, from its console')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads that serve connections (I/O shards), besides the room''s own thread [default: one per CPU]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'The certificate to serve TLS with (PEM; the host''s own first, then any intermediates), e.g. one issued by a certificate authority; implies --tls. Needs --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1). Needs --tls-cert')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Where the host keeps its state: its TLS certificate (DIR/tls/cert.pem and key.pem, made on the first start with --tls), the room''s bans and topic (DIR/room-state.json; in the default directory, which all the user''s rooms share, room-state-PORT.json) and, with --store, the room''s messages (DIR/room.sqlite3) [default: chatroom in the user''s data directory]')
            [CompletionResult]::new('--retain-messages', '--retain-messages', [CompletionResultType]::ParameterName, 'With --store: keep only the newest N messages; older ones are deleted in the background')
            [CompletionResult]::new('--retain-days', '--retain-days', [CompletionResultType]::ParameterName, 'With --store: delete messages older than D days, in the background')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Share the room with every host that names the same Redis and --name: `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (rediss:// for TLS). Not with --store (yet)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only start-up, shutdown and errors, not the room''s activity')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only start-up, shutdown and errors, not the room''s activity')
            [CompletionResult]::new('--open-topic', '--open-topic', [CompletionResultType]::ParameterName, 'Let everyone in the room set its topic with /topic, not only operators')
            [CompletionResult]::new('--no-open-topic', '--no-open-topic', [CompletionResultType]::ParameterName, 'Only operators set the topic, even if the config file says `open-topic = true`')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Encrypt every connection with TLS. Without --tls-cert the host uses a certificate of its own, made on first use and kept in --data-dir, and prints its fingerprint for clients to check. Clients join with `chatroom join --tls`; plain-text clients are told how')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'Serve in the clear even if the config file says `tls = true` or names a certificate')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Keep the room''s messages on disk, in DIR/room.sqlite3 under --data-dir: they survive a restart (the numbering goes on where it stopped), /search finds them, and a message is acknowledged (`send` exits 0) only once it is on disk. Without it the room lives in memory')
            [CompletionResult]::new('--no-store', '--no-store', [CompletionResultType]::ParameterName, 'Keep nothing on disk even if the config file says `store = true`')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file, not even --config''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;send' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to connect to, when SERVER does not name one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to connect to, when SERVER does not name one')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]')
            [CompletionResult]::new('--nick', '--nick', [CompletionResultType]::ParameterName, 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the host to connect or answer before giving up')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the room''s password from the first line of this file, for a room that has one (CHATROOM_PASSWORD may hold the password itself; without either, join on a terminal asks)')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'Trust the host''s certificate only if it has this fingerprint, as `chatroom host --tls` prints it (SHA256:...), whoever signed it; implies --tls')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Where the known_hosts file is kept, as DIR/known_hosts (the hosts trusted by their certificate''s fingerprint) [default: chatroom in the user''s data directory]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Send privately to this nickname instead of to the whole room')
            [CompletionResult]::new('--retry', '--retry', [CompletionResultType]::ParameterName, 'Keep trying to reach the host for up to SECS seconds: at the start, and after a broken connection (a host restarting), then send again what it had not acknowledged; and send again what a room reconnecting to its Redis refused as unavailable. Each message carries an id, so the room takes a resent one only once. 0 gives up at once')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'The room''s host, as HOST, HOST:PORT or [IPv6]:PORT')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'The room''s host, as HOST, HOST:PORT or [IPv6]:PORT')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect over TLS (to a `chatroom host --tls`). A certificate signed by an authority this system trusts is accepted; any other must match --fingerprint or the known_hosts file, or be trusted on first use')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'Connect in the clear even if --tls, the environment or the config file says `tls` or names a fingerprint')
            [CompletionResult]::new('--trust-on-first-use', '--trust-on-first-use', [CompletionResultType]::ParameterName, 'Trust a host that is not in known_hosts yet without asking, and remember its certificate''s fingerprint there (a changed one is still refused); implies --tls')
            [CompletionResult]::new('--me', '--me', [CompletionResultType]::ParameterName, 'Send as an action, shown as `* nick MESSAGE`')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file, not even --config''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;join' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to connect to, when SERVER does not name one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to connect to, when SERVER does not name one')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]')
            [CompletionResult]::new('--nick', '--nick', [CompletionResultType]::ParameterName, 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the host to connect or answer before giving up')
            [CompletionResult]::new('--password-file', '--password-file', [CompletionResultType]::ParameterName, 'Read the room''s password from the first line of this file, for a room that has one (CHATROOM_PASSWORD may hold the password itself; without either, join on a terminal asks)')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'Trust the host''s certificate only if it has this fingerprint, as `chatroom host --tls` prints it (SHA256:...), whoever signed it; implies --tls')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Where the known_hosts file is kept, as DIR/known_hosts (the hosts trusted by their certificate''s fingerprint) [default: chatroom in the user''s data directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color nicknames and notices: auto means on a color terminal, as NO_COLOR, CLICOLOR_FORCE, CLICOLOR and TERM allow')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'Seconds the host may stay silent before the connection counts as lost, as when it breaks: join pings a quiet host (twice within SECS), and a host that is there answers, so this finds a host whose machine vanished without closing the connection (a pulled cable, a frozen machine, a router that forgot us). 0: never (a silence is only shown)')
            [CompletionResult]::new('--history-file', '--history-file', [CompletionResultType]::ParameterName, 'Keep the input history in this file [default: chatroom/history in the user''s data directory]; the `/ignore` lists are kept beside it, in an `ignore` folder')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect over TLS (to a `chatroom host --tls`). A certificate signed by an authority this system trusts is accepted; any other must match --fingerprint or the known_hosts file, or be trusted on first use')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'Connect in the clear even if --tls, the environment or the config file says `tls` or names a fingerprint')
            [CompletionResult]::new('--trust-on-first-use', '--trust-on-first-use', [CompletionResultType]::ParameterName, 'Trust a host that is not in known_hosts yet without asking, and remember its certificate''s fingerprint there (a changed one is still refused); implies --tls')
            [CompletionResult]::new('--no-timestamps', '--no-timestamps', [CompletionResultType]::ParameterName, 'Do not show the time (HH:MM, local) in front of each line')
            [CompletionResult]::new('--timestamps', '--timestamps', [CompletionResultType]::ParameterName, 'Show the time in front of each line (the default; undoes `timestamps = false` in the config file, or an earlier --no-timestamps)')
            [CompletionResult]::new('--no-reconnect', '--no-reconnect', [CompletionResultType]::ParameterName, 'Leave with exit status 5 when the connection drops, instead of reconnecting (and asking the host for what was missed meanwhile)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print every event from the room as one raw JSON line, for bots; never a line editor')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file, not even --config''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;bench' {
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to connect to, when SERVER does not name one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to connect to, when SERVER does not name one')
            [CompletionResult]::new('--servers', '--servers', [CompletionResultType]::ParameterName, 'Hosts of one room shared across hosts (`host --redis`), as HOST:PORT,HOST:PORT,...: the clients (senders and readers alike) are spread over them round-robin, and the report adds each host''s deliveries and the latency between hosts. One address is the same as SERVER')
            [CompletionResult]::new('--host-cpu', '--host-cpu', [CompletionResultType]::ParameterName, 'Pin the started host to this CPU (Linux); pin the bench itself with `taskset -c`')
            [CompletionResult]::new('--host-arg', '--host-arg', [CompletionResultType]::ParameterName, 'One more argument for the started host, e.g. --host-arg=--outbox=4096 (repeatable)')
            [CompletionResult]::new('--host-pid', '--host-pid', [CompletionResultType]::ParameterName, 'Report the CPU time and memory of this already running host process (Linux)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Clients to connect; every one of them reads every message the others send')
            [CompletionResult]::new('--clients', '--clients', [CompletionResultType]::ParameterName, 'Clients to connect; every one of them reads every message the others send')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'How many of the clients also send (the first S)')
            [CompletionResult]::new('--senders', '--senders', [CompletionResultType]::ParameterName, 'How many of the clients also send (the first S)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Messages each sender sends (the run sends S times this many)')
            [CompletionResult]::new('--messages', '--messages', [CompletionResultType]::ParameterName, 'Messages each sender sends (the run sends S times this many)')
            [CompletionResult]::new('-b', '-b', [CompletionResultType]::ParameterName, 'Bytes of text per message (newline and the host''s framing excluded); it carries the sender, a sequence number and the send time, padded to this size')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Bytes of text per message (newline and the host''s framing excluded); it carries the sender, a sequence number and the send time, padded to this size')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Send this many messages per second in total, spread evenly over the senders (for latency); without it, senders send as fast as the room takes them')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Send this many messages per second in total, spread evenly over the senders (for latency); without it, senders send as fast as the room takes them')
            [CompletionResult]::new('--mode', '--mode', [CompletionResultType]::ParameterName, 'The dialect the clients speak')
            [CompletionResult]::new('--stalled', '--stalled', [CompletionResultType]::ParameterName, 'How many of the clients join and then never read again (the last K); the report covers the others')
            [CompletionResult]::new('--window', '--window', [CompletionResultType]::ParameterName, 'Messages the senders together may have sent that a reading client has not received yet (each sender gets an equal share); they wait beyond that, so neither the bench''s reading speed nor a host that starves its writers can overflow the host''s per-client queue (--outbox, 1024 by default). 0 means no limit')
            [CompletionResult]::new('--connect-batch', '--connect-batch', [CompletionResultType]::ParameterName, 'Connections that may be opening or waiting for their welcome at once')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting when the room has not welcomed everyone within this many seconds')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'End the run when nothing has arrived for this many seconds, and count what is missing as lost')
            [CompletionResult]::new('--fingerprint', '--fingerprint', [CompletionResultType]::ParameterName, 'Trust the host''s certificate only if it has this fingerprint (SHA256:..., as `chatroom host --tls` prints it); implies --tls')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)')
            [CompletionResult]::new('--spawn-host', '--spawn-host', [CompletionResultType]::ParameterName, 'Start a host for the run (this same binary, on 127.0.0.1 and a free port, with --rate-limit 0 --quiet and room for every client), measure its CPU and memory, and stop it afterwards')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as one JSON object instead of a table')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Every client speaks TLS (the host must be started with --tls; a started host is). The host''s certificate is checked: a started host''s own certificate is pinned, another host''s must match --fingerprint, be in known_hosts, or be signed by an authority this system trusts')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file, not even --config''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file, not even --config''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;man' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)')
            [CompletionResult]::new('--no-config', '--no-config', [CompletionResultType]::ParameterName, 'Read no config file, not even --config''s')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;help' {
            [CompletionResult]::new('host', 'host', [CompletionResultType]::ParameterValue, 'Start a room and print its activity until Ctrl-C')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Post messages into a room: the words given, or one message per line of stdin')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure a room: fan-out throughput, latency, loss and the host''s CPU and memory')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print a man page (roff) to stdout: chatroom(1), or one command''s page')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'chatroom;help;host' {
            break
        }
        'chatroom;help;send' {
            break
        }
        'chatroom;help;join' {
            break
        }
        'chatroom;help;bench' {
            break
        }
        'chatroom;help;completions' {
            break
        }
        'chatroom;help;man' {
            break
        }
        'chatroom;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
