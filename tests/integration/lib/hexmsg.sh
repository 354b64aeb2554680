# Sourced by the malformed-input suites: hex spellings of message bodies
# for qrexec-fake-peer.
le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
hexof() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
# fixed STRING SIZE: the string NUL-padded to SIZE bytes
fixed() { local h; h=$(hexof "$1"); printf '%s' "$h"; printf '0%.0s' $(seq $(( $2 * 2 - ${#h} ))); }
# str0 STRING: the string and its NUL
str0() { printf '%s00' "$(hexof "$1")"; }
