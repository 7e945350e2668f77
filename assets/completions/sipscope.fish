complete -c sipscope -s r -l read -d 'Read a capture file (pcap or pcapng; `-` for standard input). Repeat to merge several by time. sngrep\'s `-I FILE` works too' -r
complete -c sipscope -s i -l interface -d 'Capture live on an interface (`any` for all). sngrep\'s `-d DEV` works too' -r
complete -c sipscope -s s -l snaplen -d 'Snap length for a live capture, in bytes' -r
complete -c sipscope -s B -l buffer -d 'Kernel capture buffer, in MiB (the kernel\'s memory, taken when the capture starts; on `lo` half of it holds the sent copies libpcap throws away)' -r
complete -c sipscope -l user -d 'After opening the capture, drop root to this user (default: the user who ran sudo, else nobody)' -r
complete -c sipscope -s l -l limit -d 'Keep at most N dialogs; the oldest finished ones make room, with a warning (default: no count, --mem bounds them)' -r
complete -c sipscope -l mem -d 'Memory budget for everything the model holds (dialogs, messages, kept frames, streams and their series), in MiB, by an estimate (docs/ARCHITECTURE.md, "Memory"); the oldest finished dialogs make room, counted' -r
complete -c sipscope -l report -d 'Report format for --no-ui (default: text; none when writing with -w or with -q)' -r -f -a "json\t'Everything, for scripts (docs/report.md)'
ndjson\t'One JSON object per dialog per line, written as each dialog ends, then the dialogs still open, then a line of totals (docs/report.md)'
text\t'A table, one row per dialog, then the totals'
stats\t'Only the totals line: what was read, and what was lost'"
complete -c sipscope -s w -l write -d 'Write the chosen calls (all, or --call-id / --filter) to FILE; the format follows the extension (.pcap, .pcapng, .txt, .flow.txt, .json) or --format. From a file (-r) with --no-ui; live (-i), packets are written as they arrive, with the UI or without. sngrep\'s `-O FILE` works too' -r -F
complete -c sipscope -l format -d 'With -w: the format, whatever the file\'s extension' -r -f -a "pcap\t'The original frames, as pcap (one link type)'
pcapng\t'The original frames, as pcapng (one interface per link type)'
text\t'Each message with a header line, as sngrep saves them'
flow\t'The ladder as text: one line per message'
json\t'The JSON report (docs/report.md) of the chosen calls'"
complete -c sipscope -l call-id -d 'With -w: export this Call-ID (repeat for several)' -r
complete -c sipscope -l filter -d 'With -w: export the calls whose call-list row matches this regex (case-insensitive; as `/` in the UI: methods, From, To, addresses, state, Call-ID, status codes, the rule ids of its findings)' -r
complete -c sipscope -l rotate-size -d 'Live -w: start a new file after this many MB' -r
complete -c sipscope -l rotate-seconds -d 'Live -w: start a new file after this many seconds' -r
complete -c sipscope -l rotate-keep -d 'Live -w with rotation: keep only the newest N files' -r
complete -c sipscope -l rtp-keep -d 'RTP frames kept per call for export, newest first: MB, or `all` (--mem still bounds the whole)' -r
complete -c sipscope -s H -l hep-send -d 'Send every SIP message as HEP v3 to a collector (HOMER, heplify-server, sngrep -L): udp:HOST:PORT or tcp:HOST:PORT. Live, or from files (-r) to replay a capture into HOMER' -r
complete -c sipscope -s L -l hep-listen -d 'Collect HEP v3 from agents (heplify, sngrep -H, Kamailio, another sipscope -H): udp:ADDRESS:PORT or tcp:ADDRESS:PORT. The address is required (udp:0.0.0.0:9060 to listen everywhere). Alone or beside -i/-r' -r
complete -c sipscope -l hep-port -d 'HEP inside a capture (UDP to this port) is decoded as the SIP it carries (9060; 0: never)' -r
complete -c sipscope -l hep-id -d 'HEP: the capture agent id sent with each packet (chunk 12)' -r
complete -c sipscope -l hep-password -d 'HEP: the collector\'s password: sent with each packet (-H, chunk 14); with -L, packets without it are refused (and counted)' -r
complete -c sipscope -l duration -d 'Live, --no-ui: stop after this many seconds' -r
complete -c sipscope -l fail-on -d '--no-ui: exit 3 when any call has a finding this severe or worse (docs/diagnosis.md), for scripts and monitoring' -r -f -a "error\t''
warning\t''"
complete -c sipscope -s c -l count -d 'Live, --no-ui: stop after this many SIP messages (tcpdump\'s -c; not sngrep\'s -c, which is `c` in the call list: only INVITE dialogs)' -r
complete -c sipscope -l config -d 'Config file (default: ~/.config/sipscope/config.toml)' -r -F
complete -c sipscope -l generate -d 'Print the man page (`man`) or a shell completion script (`bash`, `zsh`, `fish`) to standard output, and exit' -r -f -a "man\t'The man page (roff), from these options'
bash\t''
zsh\t''
fish\t''"
complete -c sipscope -l log-file -d 'Write logs here (default: sipscope.log in the cache directory)' -r -F
complete -c sipscope -l keep-raw -d 'Keep message bytes in memory even when they can be read back from the file'
complete -c sipscope -s N -l no-ui -d 'No terminal UI: read or capture, then print a report'
complete -c sipscope -s q -l quiet -d 'With --no-ui: print no report unless --report asks for one (warnings and errors still go to stderr), as sngrep\'s -q'
complete -c sipscope -l with-rtp -d 'With -w: include the calls\' RTP and RTCP (pcap and pcapng)'
complete -c sipscope -s D -l dump-config -d 'Print the configuration in force (the config file over the defaults, every key binding) as TOML, and exit; as sngrep\'s -D'
complete -c sipscope -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sipscope -s V -l version -d 'Print version'
