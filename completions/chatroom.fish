# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_chatroom_global_optspecs
    string join \n config= no-config h/help V/version
end

function __fish_chatroom_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_chatroom_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_chatroom_using_subcommand
    set -l cmd (__fish_chatroom_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c chatroom -n "__fish_chatroom_needs_command" -l config -d 'Read default settings from this TOML file instead of chatroom.toml in the user\'s config directory (host, join and send read it; see the README\'s Configuration section)' -r -F
complete -c chatroom -n "__fish_chatroom_needs_command" -l no-config -d 'Read no config file, not even --config\'s'
complete -c chatroom -n "__fish_chatroom_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatroom -n "__fish_chatroom_needs_command" -s V -l version -d 'Print version'
complete -c chatroom -n "__fish_chatroom_needs_command" -f -a "host" -d 'Start a room and print its activity until Ctrl-C'
complete -c chatroom -n "__fish_chatroom_needs_command" -f -a "send" -d 'Post messages into a room: the words given, or one message per line of stdin'
complete -c chatroom -n "__fish_chatroom_needs_command" -f -a "join" -d 'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe'
complete -c chatroom -n "__fish_chatroom_needs_command" -f -a "bench" -d 'Measure a room: fan-out throughput, latency, loss and the host\'s CPU and memory'
complete -c chatroom -n "__fish_chatroom_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c chatroom -n "__fish_chatroom_needs_command" -f -a "man" -d 'Print a man page (roff) to stdout: chatroom(1), or one command\'s page'
complete -c chatroom -n "__fish_chatroom_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l bind -d 'Address to listen on (0.0.0.0 for every IPv4 interface, :: for IPv6 too)' -r -f
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -s p -l port -d 'Port to listen on; 0 lets the operating system choose a free one' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l max-clients -d 'How many people may be in the room at once; one more is told the room is full' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l name -d 'The room\'s name, shown to everyone who joins' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l motd -d 'A message of the day, shown to everyone who joins' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l log-file -d 'Append the room\'s activity to this file, one line per event with a full UTC timestamp' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l log-format -d 'How the console and --log-file are written: text for people, or json, one JSON object per line for log shippers (room events exactly as JSON clients receive them; the first line on stdout stays `listening on IP:PORT`)' -r -f -a "text\t'Readable lines: local times on the console, full UTC timestamps in the file'
json\t'JSON lines: room events as the protocol has them, notes and warnings as {"type","ts","text"}'"
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l max-line -d 'Longest line a client may send, in bytes (newline excluded); longer lines are refused' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l rate-limit -d 'Messages per second each client may send before the host paces it; 0 disables the limit' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l burst -d 'How many messages a client may send in a burst before --rate-limit applies' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l handshake-timeout -d 'Seconds a new connection has to send its nickname before it is closed' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l quiet-above -d 'In rooms bigger than this, joins and leaves are announced as one sum every 2 seconds ("37 joined and 2 left"), and the welcome does not list everyone' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l history -d 'Public messages (and /me actions) the room keeps and replays to each newcomer right after its welcome, with their original time and sender; never private messages, joins or leaves. 0 keeps none. Kept in memory: at most N x --max-line bytes' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l outbox -d 'How many undelivered messages a client may fall behind before it is disconnected' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l max-queued -d 'Mebibytes the host may hold, for all clients together, of replies and private messages waiting for clients that are not reading. Once they are spent, a private message to someone not reading is refused to its sender, and a client whose replies would have to wait is disconnected like one too far behind (--outbox)' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l max-per-ip -d 'Connections one address (an IPv4 address, or an IPv6 /64 network) may hold at once; a quarter of them may be choosing a nickname, and it may open N/2 a second after a burst of N. Loopback counts like any address. 0: no per-address limits' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l keepalive -d 'Seconds a connection may be silent before the host checks that the client\'s machine is still there (TCP keepalive); one that misses 3 checks, SECS/3 apart, is let go and its nickname freed. A JSON client is also sent a ping, and let go if nothing arrives from it within another SECS. 0 turns the checks off' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l password-file -d 'Give the room a password, read from the first line of this file: whoever joins must give it (nc users type it before their nickname; clients take --password-file or CHATROOM_PASSWORD, or ask). Without TLS it crosses the network in clear text' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l password -d 'Give the room this password (instead of --password-file). On the command line it is visible to other users in `ps` and kept in shell history: prefer --password-file, or the environment variable' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l op-password-file -d 'Let members become operators with `/op PASSWORD`, the operator password read from the first line of this file (or from CHATROOM_OP_PASSWORD). Operators kick, ban, mute and set the topic; whoever runs the host in a terminal always can, from its console' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l threads -d 'Threads that serve connections (I/O shards), besides the room\'s own thread [default: one per CPU]' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l tls-cert -d 'The certificate to serve TLS with (PEM; the host\'s own first, then any intermediates), e.g. one issued by a certificate authority; implies --tls. Needs --tls-key' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l tls-key -d 'The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1). Needs --tls-cert' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l data-dir -d 'Where the host keeps its state: its TLS certificate (DIR/tls/cert.pem and key.pem, made on the first start with --tls), the room\'s bans and topic (DIR/room-state.json; in the default directory, which all the user\'s rooms share, room-state-PORT.json) and, with --store, the room\'s messages (DIR/room.sqlite3) [default: chatroom in the user\'s data directory]' -r -f -a "(__fish_complete_directories)"
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l retain-messages -d 'With --store: keep only the newest N messages; older ones are deleted in the background' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l retain-days -d 'With --store: delete messages older than D days, in the background' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l redis -d 'Share the room with every host that names the same Redis and --name: `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (rediss:// for TLS). Not with --store (yet)' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l config -d 'Read default settings from this TOML file instead of chatroom.toml in the user\'s config directory (host, join and send read it; see the README\'s Configuration section)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -s q -l quiet -d 'Print only start-up, shutdown and errors, not the room\'s activity'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l open-topic -d 'Let everyone in the room set its topic with /topic, not only operators'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l no-open-topic -d 'Only operators set the topic, even if the config file says `open-topic = true`'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l tls -d 'Encrypt every connection with TLS. Without --tls-cert the host uses a certificate of its own, made on first use and kept in --data-dir, and prints its fingerprint for clients to check. Clients join with `chatroom join --tls`; plain-text clients are told how'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l no-tls -d 'Serve in the clear even if the config file says `tls = true` or names a certificate'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l store -d 'Keep the room\'s messages on disk, in DIR/room.sqlite3 under --data-dir: they survive a restart (the numbering goes on where it stopped), /search finds them, and a message is acknowledged (`send` exits 0) only once it is on disk. Without it the room lives in memory'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l no-store -d 'Keep nothing on disk even if the config file says `store = true`'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -l no-config -d 'Read no config file, not even --config\'s'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatroom -n "__fish_chatroom_using_subcommand host" -s V -l version -d 'Print version'
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -s p -l port -d 'Port to connect to, when SERVER does not name one' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -s n -l nick -d 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l timeout -d 'Seconds to wait for the host to connect or answer before giving up' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l password-file -d 'Read the room\'s password from the first line of this file, for a room that has one (CHATROOM_PASSWORD may hold the password itself; without either, join on a terminal asks)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l fingerprint -d 'Trust the host\'s certificate only if it has this fingerprint, as `chatroom host --tls` prints it (SHA256:...), whoever signed it; implies --tls' -r -f
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l data-dir -d 'Where the known_hosts file is kept, as DIR/known_hosts (the hosts trusted by their certificate\'s fingerprint) [default: chatroom in the user\'s data directory]' -r -f -a "(__fish_complete_directories)"
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l to -d 'Send privately to this nickname instead of to the whole room' -r -f
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l retry -d 'Keep trying to reach the host for up to SECS seconds: at the start, and after a broken connection (a host restarting), then send again what it had not acknowledged; and send again what a room reconnecting to its Redis refused as unavailable. Each message carries an id, so the room takes a resent one only once. 0 gives up at once' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -s s -l server -d 'The room\'s host, as HOST, HOST:PORT or [IPv6]:PORT' -r -f -a "(__fish_print_hostnames)"
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l config -d 'Read default settings from this TOML file instead of chatroom.toml in the user\'s config directory (host, join and send read it; see the README\'s Configuration section)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l tls -d 'Connect over TLS (to a `chatroom host --tls`). A certificate signed by an authority this system trusts is accepted; any other must match --fingerprint or the known_hosts file, or be trusted on first use'
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l no-tls -d 'Connect in the clear even if --tls, the environment or the config file says `tls` or names a fingerprint'
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l trust-on-first-use -d 'Trust a host that is not in known_hosts yet without asking, and remember its certificate\'s fingerprint there (a changed one is still refused); implies --tls'
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l me -d 'Send as an action, shown as `* nick MESSAGE`'
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -l no-config -d 'Read no config file, not even --config\'s'
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatroom -n "__fish_chatroom_using_subcommand send" -s V -l version -d 'Print version'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -s p -l port -d 'Port to connect to, when SERVER does not name one' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -s n -l nick -d 'Your nickname [default: the OS user name; join on a terminal asks, suggesting it]' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l timeout -d 'Seconds to wait for the host to connect or answer before giving up' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l password-file -d 'Read the room\'s password from the first line of this file, for a room that has one (CHATROOM_PASSWORD may hold the password itself; without either, join on a terminal asks)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l fingerprint -d 'Trust the host\'s certificate only if it has this fingerprint, as `chatroom host --tls` prints it (SHA256:...), whoever signed it; implies --tls' -r -f
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l data-dir -d 'Where the known_hosts file is kept, as DIR/known_hosts (the hosts trusted by their certificate\'s fingerprint) [default: chatroom in the user\'s data directory]' -r -f -a "(__fish_complete_directories)"
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l color -d 'When to color nicknames and notices: auto means on a color terminal, as NO_COLOR, CLICOLOR_FORCE, CLICOLOR and TERM allow' -r -f -a "auto\t'Colors on a color terminal, unless NO_COLOR or CLICOLOR=0 says no; CLICOLOR_FORCE forces them'
always\t'Always use colors, whatever the environment says'
never\t'Never use colors, whatever the environment says'"
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l keepalive -d 'Seconds the host may stay silent before the connection counts as lost, as when it breaks: join pings a quiet host (twice within SECS), and a host that is there answers, so this finds a host whose machine vanished without closing the connection (a pulled cable, a frozen machine, a router that forgot us). 0: never (a silence is only shown)' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l history-file -d 'Keep the input history in this file [default: chatroom/history in the user\'s data directory]; the `/ignore` lists are kept beside it, in an `ignore` folder' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l config -d 'Read default settings from this TOML file instead of chatroom.toml in the user\'s config directory (host, join and send read it; see the README\'s Configuration section)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l tls -d 'Connect over TLS (to a `chatroom host --tls`). A certificate signed by an authority this system trusts is accepted; any other must match --fingerprint or the known_hosts file, or be trusted on first use'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l no-tls -d 'Connect in the clear even if --tls, the environment or the config file says `tls` or names a fingerprint'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l trust-on-first-use -d 'Trust a host that is not in known_hosts yet without asking, and remember its certificate\'s fingerprint there (a changed one is still refused); implies --tls'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l no-timestamps -d 'Do not show the time (HH:MM, local) in front of each line'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l timestamps -d 'Show the time in front of each line (the default; undoes `timestamps = false` in the config file, or an earlier --no-timestamps)'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l no-reconnect -d 'Leave with exit status 5 when the connection drops, instead of reconnecting (and asking the host for what was missed meanwhile)'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l json -d 'Print every event from the room as one raw JSON line, for bots; never a line editor'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -l no-config -d 'Read no config file, not even --config\'s'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -s V -l version -d 'Print version'
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s p -l port -d 'Port to connect to, when SERVER does not name one' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l servers -d 'Hosts of one room shared across hosts (`host --redis`), as HOST:PORT,HOST:PORT,...: the clients (senders and readers alike) are spread over them round-robin, and the report adds each host\'s deliveries and the latency between hosts. One address is the same as SERVER' -r -f -a "(__fish_print_hostnames)"
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l host-cpu -d 'Pin the started host to this CPU (Linux); pin the bench itself with `taskset -c`' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l host-arg -d 'One more argument for the started host, e.g. --host-arg=--outbox=4096 (repeatable)' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l host-pid -d 'Report the CPU time and memory of this already running host process (Linux)' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s c -l clients -d 'Clients to connect; every one of them reads every message the others send' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s s -l senders -d 'How many of the clients also send (the first S)' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s m -l messages -d 'Messages each sender sends (the run sends S times this many)' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s b -l size -d 'Bytes of text per message (newline and the host\'s framing excluded); it carries the sender, a sequence number and the send time, padded to this size' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s r -l rate -d 'Send this many messages per second in total, spread evenly over the senders (for latency); without it, senders send as fast as the room takes them' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l mode -d 'The dialect the clients speak' -r -f -a "plain\t'Nickname first, then one line per message (what nc users do)'
json\t'JSON lines: hello, then one say request per message'"
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l stalled -d 'How many of the clients join and then never read again (the last K); the report covers the others' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l window -d 'Messages the senders together may have sent that a reading client has not received yet (each sender gets an equal share); they wait beyond that, so neither the bench\'s reading speed nor a host that starves its writers can overflow the host\'s per-client queue (--outbox, 1024 by default). 0 means no limit' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l connect-batch -d 'Connections that may be opening or waiting for their welcome at once' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l connect-timeout -d 'Give up connecting when the room has not welcomed everyone within this many seconds' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l idle-timeout -d 'End the run when nothing has arrived for this many seconds, and count what is missing as lost' -r
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l fingerprint -d 'Trust the host\'s certificate only if it has this fingerprint (SHA256:..., as `chatroom host --tls` prints it); implies --tls' -r -f
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l config -d 'Read default settings from this TOML file instead of chatroom.toml in the user\'s config directory (host, join and send read it; see the README\'s Configuration section)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l spawn-host -d 'Start a host for the run (this same binary, on 127.0.0.1 and a free port, with --rate-limit 0 --quiet and room for every client), measure its CPU and memory, and stop it afterwards'
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l json -d 'Print the report as one JSON object instead of a table'
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l tls -d 'Every client speaks TLS (the host must be started with --tls; a started host is). The host\'s certificate is checked: a started host\'s own certificate is pinned, another host\'s must match --fingerprint, be in known_hosts, or be signed by an authority this system trusts'
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -l no-config -d 'Read no config file, not even --config\'s'
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -s V -l version -d 'Print version'
complete -c chatroom -n "__fish_chatroom_using_subcommand completions" -l config -d 'Read default settings from this TOML file instead of chatroom.toml in the user\'s config directory (host, join and send read it; see the README\'s Configuration section)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand completions" -l no-config -d 'Read no config file, not even --config\'s'
complete -c chatroom -n "__fish_chatroom_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatroom -n "__fish_chatroom_using_subcommand completions" -s V -l version -d 'Print version'
complete -c chatroom -n "__fish_chatroom_using_subcommand man" -l config -d 'Read default settings from this TOML file instead of chatroom.toml in the user\'s config directory (host, join and send read it; see the README\'s Configuration section)' -r -F
complete -c chatroom -n "__fish_chatroom_using_subcommand man" -l no-config -d 'Read no config file, not even --config\'s'
complete -c chatroom -n "__fish_chatroom_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c chatroom -n "__fish_chatroom_using_subcommand man" -s V -l version -d 'Print version'
complete -c chatroom -n "__fish_chatroom_using_subcommand help; and not __fish_seen_subcommand_from host send join bench completions man help" -f -a "host" -d 'Start a room and print its activity until Ctrl-C'
complete -c chatroom -n "__fish_chatroom_using_subcommand help; and not __fish_seen_subcommand_from host send join bench completions man help" -f -a "send" -d 'Post messages into a room: the words given, or one message per line of stdin'
complete -c chatroom -n "__fish_chatroom_using_subcommand help; and not __fish_seen_subcommand_from host send join bench completions man help" -f -a "join" -d 'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe'
complete -c chatroom -n "__fish_chatroom_using_subcommand help; and not __fish_seen_subcommand_from host send join bench completions man help" -f -a "bench" -d 'Measure a room: fan-out throughput, latency, loss and the host\'s CPU and memory'
complete -c chatroom -n "__fish_chatroom_using_subcommand help; and not __fish_seen_subcommand_from host send join bench completions man help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c chatroom -n "__fish_chatroom_using_subcommand help; and not __fish_seen_subcommand_from host send join bench completions man help" -f -a "man" -d 'Print a man page (roff) to stdout: chatroom(1), or one command\'s page'
complete -c chatroom -n "__fish_chatroom_using_subcommand help; and not __fish_seen_subcommand_from host send join bench completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c chatroom -n "__fish_chatroom_using_subcommand join" -f -a "(__fish_print_hostnames)"
complete -c chatroom -n "__fish_chatroom_using_subcommand bench" -f -a "(__fish_print_hostnames)"
complete -c chatroom -n "__fish_chatroom_using_subcommand completions" -f -a "bash\t''
elvish\t''
fish\t''
powershell\t''
zsh\t''"
complete -c chatroom -n "__fish_chatroom_using_subcommand man" -f -a "host\t'Start a room and print its activity until Ctrl-C'
send\t'Post messages into a room: the words given, or one message per line of stdin'
join\t'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe'
bench\t'Measure a room: fan-out throughput, latency, loss and the host\'s CPU and memory'
completions\t'Print a shell completion script to stdout'
man\t'Print a man page (roff) to stdout: chatroom(1), or one command\'s page'"
