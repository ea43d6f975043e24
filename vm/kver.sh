#!/bin/sh
# Print the version of the Debian kernel kipc builds and boots against:
# $KVER if set, else the one linux-headers-amd64 depends on, else the newest
# installed /lib/modules/*/build, else the running kernel.
set -e
if [ -n "$KVER" ]; then echo "$KVER"; exit 0; fi
v=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p')
if [ -n "$v" ] && [ -d "/lib/modules/$v/build" ]; then echo "$v"; exit 0; fi
for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V -r); do
	basename "$(dirname "$d")"; exit 0
done
uname -r
