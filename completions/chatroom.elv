
use builtin;
use str;

set edit:completion:arg-completer[chatroom] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'chatroom'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'chatroom'= {
            cand --config 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)'
            cand --no-config 'Read no config file, not even --config''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand host 'Start a room and print its activity until Ctrl-C'
            cand send 'Post messages into a room: the words given, or one message per line of stdin'
            cand join 'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe'
            cand bench 'Measure a room: fan-out throughput, latency, loss and the host''s CPU and memory'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print a man page (roff) to stdout: chatroom(1), or one command''s page'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'chatroom;host'= {
            cand --bind 'Address to listen on (0.0.0.0 for every IPv4 interface, :: for IPv6 too)'
            cand -p 'Port to listen on; 0 lets the operating system choose a free one'
            cand --port 'Port to listen on; 0 lets the operating system choose a free one'
            cand --max-clients 'How many people may be in the room at once; one more is told the room is full'
            cand --name 'The room''s name, shown to everyone who joins'
            cand --motd 'A message of the day, shown to everyone who joins'
            cand --log-file 'Append the room''s activity to this file, one line per event with a full UTC timestamp'
            cand --log-format 'How the console and --log-file are written: text for people, or json, one JSON object per line for log shippers (room events exactly as JSON clients receive them; the first line on stdout stays `listening on IP:PORT`)'
            cand --max-line 'Longest line a client may send, in bytes (newline excluded); longer lines are refused'
            cand --rate-limit 'Messages per second each client may send before the host paces it; 0 disables the limit'
            cand --burst 'How many messages a client may send in a burst before --rate-limit applies'
            cand --handshake-timeout 'Seconds a new connection has to send its nickname before it is closed'
            cand --quiet-above 'In rooms bigger than this, joins and leaves are announced as one sum every 2 seconds ("37 joined and 2 left"), and the welcome does not list everyone'
            cand --history 'Public messages (and /me actions) the room keeps and replays to each newcomer right after its welcome, with their original time and sender; never private messages, joins or leaves. 0 keeps none. Kept in memory: at most N x --max-line bytes'
            cand --outbox 'How many undelivered messages a client may fall behind before it is disconnected'
            cand --max-queued 'Mebibytes the host may hold, for all clients together, of replies and private messages waiting for clients that are not reading. Once they are spent, a private message to someone not reading is refused to its sender, and a client whose replies would have to wait is disconnected like one too far behind (--outbox)'
            cand --max-per-ip 'Connections one address (an IPv4 address, or an IPv6 /64 network) may hold at once; a quarter of them may be choosing a nickname, and it may open N/2 a second after a burst of N. Loopback counts like any address. 0: no per-address limits'
            cand --keepalive 'Seconds a connection may be silent before the host checks that the client''s machine is still there (TCP keepalive); one that misses 3 checks, SECS/3 apart, is let go and its nickname freed. A JSON client is also sent a ping, and let go if nothing arrives from it within another SECS. 0 turns the checks off'
            cand --password-file 'Give the room a password, read from the first line of this file: whoever joins must give it (nc users type it before their nickname; clients take --password-file or CHATROOM_PASSWORD, or ask). Without TLS it crosses the network in clear text'
            cand --password 'Give the room this password (instead of --password-file). On the command line it is visible to other users in `ps` and kept in shell history: prefer --password-file, or the environment variable'
            cand --op-password-file 'Let members become operators with `/op PASSWORD`, the operator password read from the first line of this file (or from CHATROOM_OP_PASSWORD). Operators kick, ban, mute and set the topic; whoever runs the host in a terminal always can, from its console'
            cand --threads 'Threads that serve connections (I/O shards), besides the room''s own thread [default: one per CPU]'
            cand --tls-cert 'The certificate to serve TLS with (PEM; the host''s own first, then any intermediates), e.g. one issued by a certificate authority; implies --tls. Needs --tls-key'
            cand --tls-key 'The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1). Needs --tls-cert'
            cand --data-dir 'Where the host keeps its state: its TLS certificate (DIR/tls/cert.pem and key.pem, made on the first start with --tls), the room''s bans and topic (DIR/room-state.json; in the default directory, which all the user''s rooms share, room-state-PORT.json) and, with --store, the room''s messages (DIR/room.sqlite3) [default: chatroom in the user''s data directory]'
            cand --retain-messages 'With --store: keep only the newest N messages; older ones are deleted in the background'
            cand --retain-days 'With --store: delete messages older than D days, in the background'
            cand --redis 'Share the room with every host that names the same Redis and --name: `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (rediss:// for TLS). Not with --store (yet)'
            cand --config 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)'
            cand -q 'Print only start-up, shutdown and errors, not the room''s activity'
            cand --quiet 'Print only start-up, shutdown and errors, not the room''s activity'
            cand --open-topic 'Let everyone in the room set its topic with /topic, not only operators'
            cand --no-open-topic 'Only operators set the topic, even if the config file says `open-topic = true`'
            cand --tls 'Encrypt every connection with TLS. Without --tls-cert the host uses a certificate of its own, made on first use and kept in --data-dir, and prints its fingerprint for clients to check. Clients join with `chatroom join --tls`; plain-text clients are told how'
            cand --no-tls 'Serve in the clear even if the config file says `tls = true` or names a certificate'
            cand --store 'Keep the room''s messages on disk, in DIR/room.sqlite3 under --data-dir: they survive a restart (the numbering goes on where it stopped), /search finds them, and a message is acknowledged (`send` exits 0) only once it is on disk. Without it the room lives in memory'
            cand --no-store 'Keep nothing on disk even if the config file says `store = true`'
            cand --no-config 'Read no config file, not even --config''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatroom;send'= {
            cand -p 'Port to connect to, when SERVER does not name one'
            cand --port 'Port to connect to, when SERVER does not name one'
            cand -n 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]'
            cand --nick 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]'
            cand --timeout 'Seconds to wait for the host to connect or answer before giving up'
            cand --password-file 'Read the room''s password from the first line of this file, for a room that has one (CHATROOM_PASSWORD may hold the password itself; without either, join on a terminal asks)'
            cand --fingerprint 'Trust the host''s certificate only if it has this fingerprint, as `chatroom host --tls` prints it (SHA256:...), whoever signed it; implies --tls'
            cand --data-dir 'Where the known_hosts file is kept, as DIR/known_hosts (the hosts trusted by their certificate''s fingerprint) [default: chatroom in the user''s data directory]'
            cand --to 'Send privately to this nickname instead of to the whole room'
            cand --retry 'Keep trying to reach the host for up to SECS seconds: at the start, and after a broken connection (a host restarting), then send again what it had not acknowledged; and send again what a room reconnecting to its Redis refused as unavailable. Each message carries an id, so the room takes a resent one only once. 0 gives up at once'
            cand -s 'The room''s host, as HOST, HOST:PORT or [IPv6]:PORT'
            cand --server 'The room''s host, as HOST, HOST:PORT or [IPv6]:PORT'
            cand --config 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)'
            cand --tls 'Connect over TLS (to a `chatroom host --tls`). A certificate signed by an authority this system trusts is accepted; any other must match --fingerprint or the known_hosts file, or be trusted on first use'
            cand --no-tls 'Connect in the clear even if --tls, the environment or the config file says `tls` or names a fingerprint'
            cand --trust-on-first-use 'Trust a host that is not in known_hosts yet without asking, and remember its certificate''s fingerprint there (a changed one is still refused); implies --tls'
            cand --me 'Send as an action, shown as `* nick MESSAGE`'
            cand --no-config 'Read no config file, not even --config''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatroom;join'= {
            cand -p 'Port to connect to, when SERVER does not name one'
            cand --port 'Port to connect to, when SERVER does not name one'
            cand -n 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]'
            cand --nick 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]'
            cand --timeout 'Seconds to wait for the host to connect or answer before giving up'
            cand --password-file 'Read the room''s password from the first line of this file, for a room that has one (CHATROOM_PASSWORD may hold the password itself; without either, join on a terminal asks)'
            cand --fingerprint 'Trust the host''s certificate only if it has this fingerprint, as `chatroom host --tls` prints it (SHA256:...), whoever signed it; implies --tls'
            cand --data-dir 'Where the known_hosts file is kept, as DIR/known_hosts (the hosts trusted by their certificate''s fingerprint) [default: chatroom in the user''s data directory]'
            cand --color 'When to color nicknames and notices: auto means on a color terminal, as NO_COLOR, CLICOLOR_FORCE, CLICOLOR and TERM allow'
            cand --keepalive 'Seconds the host may stay silent before the connection counts as lost, as when it breaks: join pings a quiet host (twice within SECS), and a host that is there answers, so this finds a host whose machine vanished without closing the connection (a pulled cable, a frozen machine, a router that forgot us). 0: never (a silence is only shown)'
            cand --history-file 'Keep the input history in this file [default: chatroom/history in the user''s data directory]; the `/ignore` lists are kept beside it, in an `ignore` folder'
            cand --config 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)'
            cand --tls 'Connect over TLS (to a `chatroom host --tls`). A certificate signed by an authority this system trusts is accepted; any other must match --fingerprint or the known_hosts file, or be trusted on first use'
            cand --no-tls 'Connect in the clear even if --tls, the environment or the config file says `tls` or names a fingerprint'
            cand --trust-on-first-use 'Trust a host that is not in known_hosts yet without asking, and remember its certificate''s fingerprint there (a changed one is still refused); implies --tls'
            cand --no-timestamps 'Do not show the time (HH:MM, local) in front of each line'
            cand --timestamps 'Show the time in front of each line (the default; undoes `timestamps = false` in the config file, or an earlier --no-timestamps)'
            cand --no-reconnect 'Leave with exit status 5 when the connection drops, instead of reconnecting (and asking the host for what was missed meanwhile)'
            cand --json 'Print every event from the room as one raw JSON line, for bots; never a line editor'
            cand --no-config 'Read no config file, not even --config''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatroom;bench'= {
            cand -p 'Port to connect to, when SERVER does not name one'
            cand --port 'Port to connect to, when SERVER does not name one'
            cand --servers 'Hosts of one room shared across hosts (`host --redis`), as HOST:PORT,HOST:PORT,...: the clients (senders and readers alike) are spread over them round-robin, and the report adds each host''s deliveries and the latency between hosts. One address is the same as SERVER'
            cand --host-cpu 'Pin the started host to this CPU (Linux); pin the bench itself with `taskset -c`'
            cand --host-arg 'One more argument for the started host, e.g. --host-arg=--outbox=4096 (repeatable)'
            cand --host-pid 'Report the CPU time and memory of this already running host process (Linux)'
            cand -c 'Clients to connect; every one of them reads every message the others send'
            cand --clients 'Clients to connect; every one of them reads every message the others send'
            cand -s 'How many of the clients also send (the first S)'
            cand --senders 'How many of the clients also send (the first S)'
            cand -m 'Messages each sender sends (the run sends S times this many)'
            cand --messages 'Messages each sender sends (the run sends S times this many)'
            cand -b 'Bytes of text per message (newline and the host''s framing excluded); it carries the sender, a sequence number and the send time, padded to this size'
            cand --size 'Bytes of text per message (newline and the host''s framing excluded); it carries the sender, a sequence number and the send time, padded to this size'
            cand -r 'Send this many messages per second in total, spread evenly over the senders (for latency); without it, senders send as fast as the room takes them'
            cand --rate 'Send this many messages per second in total, spread evenly over the senders (for latency); without it, senders send as fast as the room takes them'
            cand --mode 'The dialect the clients speak'
            cand --stalled 'How many of the clients join and then never read again (the last K); the report covers the others'
            cand --window 'Messages the senders together may have sent that a reading client has not received yet (each sender gets an equal share); they wait beyond that, so neither the bench''s reading speed nor a host that starves its writers can overflow the host''s per-client queue (--outbox, 1024 by default). 0 means no limit'
            cand --connect-batch 'Connections that may be opening or waiting for their welcome at once'
            cand --connect-timeout 'Give up connecting when the room has not welcomed everyone within this many seconds'
            cand --idle-timeout 'End the run when nothing has arrived for this many seconds, and count what is missing as lost'
            cand --fingerprint 'Trust the host''s certificate only if it has this fingerprint (SHA256:..., as `chatroom host --tls` prints it); implies --tls'
            cand --config 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)'
            cand --spawn-host 'Start a host for the run (this same binary, on 127.0.0.1 and a free port, with --rate-limit 0 --quiet and room for every client), measure its CPU and memory, and stop it afterwards'
            cand --json 'Print the report as one JSON object instead of a table'
            cand --tls 'Every client speaks TLS (the host must be started with --tls; a started host is). The host''s certificate is checked: a started host''s own certificate is pinned, another host''s must match --fingerprint, be in known_hosts, or be signed by an authority this system trusts'
            cand --no-config 'Read no config file, not even --config''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatroom;completions'= {
            cand --config 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)'
            cand --no-config 'Read no config file, not even --config''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatroom;man'= {
            cand --config 'Read default settings from this TOML file instead of chatroom.toml in the user''s config directory (host, join and send read it; see the README''s Configuration section)'
            cand --no-config 'Read no config file, not even --config''s'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'chatroom;help'= {
            cand host 'Start a room and print its activity until Ctrl-C'
            cand send 'Post messages into a room: the words given, or one message per line of stdin'
            cand join 'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe'
            cand bench 'Measure a room: fan-out throughput, latency, loss and the host''s CPU and memory'
            cand completions 'Print a shell completion script to stdout'
            cand man 'Print a man page (roff) to stdout: chatroom(1), or one command''s page'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'chatroom;help;host'= {
        }
        &'chatroom;help;send'= {
        }
        &'chatroom;help;join'= {
        }
        &'chatroom;help;bench'= {
        }
        &'chatroom;help;completions'= {
        }
        &'chatroom;help;man'= {
        }
        &'chatroom;help;help'= {
        }
    ]
    $completions[$command]
}
