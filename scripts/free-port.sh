#!/usr/bin/env bash
# free-port.sh — print a TCP port on 127.0.0.1 that is free right now
# (the kernel picks it; tests start servers on such ports so runs never clash).
exec /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
