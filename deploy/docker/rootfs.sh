#!/bin/sh
# Lays out the root file system of a tunnel-client or tunnel-service image in $1 (the executable is
# already in $1/usr/local/bin): the C libraries a Node.js executable links, a non-root user (65532, as
# distroless images use), a world-writable /tmp, and each further argument as a directory that user owns.
# Plain POSIX sh and coreutils (or busybox), so any Debian-based build stage runs it.
set -eu
root=$1
shift
mkdir -p "$root/etc" "$root/tmp" "$root/lib64" "$root/lib/x86_64-linux-gnu"
for lib in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 libstdc++.so.6 libgcc_s.so.1; do
  cp -L "/lib/x86_64-linux-gnu/$lib" "$root/lib/x86_64-linux-gnu/"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
chmod 1777 "$root/tmp"
echo 'tunnel:x:65532:65532:tunnel:/nonexistent:/sbin/nologin' >"$root/etc/passwd"
echo 'tunnel:x:65532:' >"$root/etc/group"
for dir in "$@"; do
  mkdir -p "$root$dir"
  chown 65532:65532 "$root$dir"
  chmod 0700 "$root$dir"
done
