
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
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('host', 'host', [CompletionResultType]::ParameterValue, 'Start a room and print its activity until Ctrl-C')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Post messages into a room: the words given, or one message per line of stdin')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe')
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
            [CompletionResult]::new('--max-line', '--max-line', [CompletionResultType]::ParameterName, 'Longest line a client may send, in bytes (newline excluded); longer lines are refused')
            [CompletionResult]::new('--rate-limit', '--rate-limit', [CompletionResultType]::ParameterName, 'Messages per second each client may send before the host paces it; 0 disables the limit')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'How many messages a client may send in a burst before --rate-limit applies')
            [CompletionResult]::new('--handshake-timeout', '--handshake-timeout', [CompletionResultType]::ParameterName, 'Seconds a new connection has to send its nickname before it is closed')
            [CompletionResult]::new('--quiet-above', '--quiet-above', [CompletionResultType]::ParameterName, 'In rooms bigger than this, joins and leaves are announced as one sum every 2 seconds ("37 joined and 2 left"), and the welcome does not list everyone')
            [CompletionResult]::new('--outbox', '--outbox', [CompletionResultType]::ParameterName, 'How many undelivered messages a client may fall behind before it is disconnected')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only start-up, shutdown and errors, not the room''s activity')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only start-up, shutdown and errors, not the room''s activity')
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
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Send privately to this nickname instead of to the whole room')
            [CompletionResult]::new('--me', '--me', [CompletionResultType]::ParameterName, 'Send as an action, shown as `* nick MESSAGE`')
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
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color nicknames and notices: auto means on a terminal without NO_COLOR')
            [CompletionResult]::new('--history-file', '--history-file', [CompletionResultType]::ParameterName, 'Keep the input history in this file [default: chatroom/history in the user''s data directory]')
            [CompletionResult]::new('--no-timestamps', '--no-timestamps', [CompletionResultType]::ParameterName, 'Do not show the time (HH:MM, local) in front of each line')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print every event from the room as one raw JSON line, for bots; never a line editor')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'chatroom;man' {
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
