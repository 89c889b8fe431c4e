#!/bin/bash
# wrap and unwrap: round trips with both algorithms and two KEK sizes, the
# openssl command in both directions, and clean failures that write nothing.
# shellcheck source=tests/keyvol/lib.sh
. "$(dirname "$0")/lib.sh"
need openssl basenc sha256sum

json_field() { # FILE NAME
	sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" "$1"
}

kid_of() { # PUBLIC.pem
	openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

openssl_md() { # ALG
	[ "$1" = RSA-OAEP ] && echo sha1 || echo sha256
}

step "1. key encryption keys of 2048 and 3072 bits"
for bits in 2048 3072; do
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "kek$bits.pem" \
		2>/dev/null || fail "openssl genpkey failed"
	openssl pkey -in "kek$bits.pem" -pubout -out "kek$bits.pub" || fail "openssl pkey failed"
done
"$KEYVOL" generate --out key 2>/dev/null || fail "generate failed"

step "2. round trips, and the document's fields"
for bits in 2048 3072; do
	for alg in RSA-OAEP RSA-OAEP-256; do
		"$KEYVOL" wrap --kek "kek$bits.pub" --alg "$alg" --in key --out "w-$bits-$alg" \
			2>log || fail "wrap $bits $alg failed: $(cat log)"
		[ "$(json_field "w-$bits-$alg" alg)" = "$alg" ] || fail "alg is not $alg"
		[ "$(json_field "w-$bits-$alg" kid)" = "$(kid_of "kek$bits.pub")" ] ||
			fail "kid is not the SHA-256 of the DER public key"
		"$KEYVOL" unwrap --kek "kek$bits.pem" --in "w-$bits-$alg" --out "u-$bits-$alg" \
			2>log || fail "unwrap $bits $alg failed: $(cat log)"
		cmp -s key "u-$bits-$alg" || fail "the unwrapped key $bits $alg differs"
		[ "$(stat -c %a "u-$bits-$alg")" = 400 ] || fail "the unwrapped key is not mode 0400"
	done
done
# shellcheck disable=SC2094 # key is only read
"$KEYVOL" wrap --kek kek2048.pub <key | "$KEYVOL" unwrap --kek kek2048.pem | cmp -s - key ||
	fail "the round trip through pipes with the default algorithm failed"

step "3. openssl unwraps what wrap made"
for alg in RSA-OAEP RSA-OAEP-256; do
	json_field "w-3072-$alg" value | tr -- '-_' '+/' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' |
		base64 -d >cipher || fail "the value is not base64url"
	openssl pkeyutl -decrypt -inkey kek3072.pem -pkeyopt rsa_padding_mode:oaep \
		-pkeyopt "rsa_oaep_md:$(openssl_md "$alg")" -in cipher -out plain 2>log ||
		fail "openssl cannot unwrap $alg: $(cat log)"
	cmp -s plain key || fail "openssl unwrapped another key with $alg"
done

step "4. unwrap reads what openssl wrapped"
for alg in RSA-OAEP RSA-OAEP-256; do
	value="$(openssl pkeyutl -encrypt -pubin -inkey kek2048.pub -pkeyopt rsa_padding_mode:oaep \
		-pkeyopt "rsa_oaep_md:$(openssl_md "$alg")" -in key | basenc --base64url -w0 | tr -d =)"
	printf '{"alg": "%s", "kid": "%s", "value": "%s"}\n' "$alg" "$(kid_of kek2048.pub)" \
		"$value" >"o-$alg"
	"$KEYVOL" unwrap --kek kek2048.pem --in "o-$alg" --out "ou-$alg" 2>log ||
		fail "unwrap of openssl's $alg failed: $(cat log)"
	cmp -s key "ou-$alg" || fail "unwrap of openssl's $alg gave another key"
done

step "5. the wrong KEK fails clearly and writes nothing"
"$KEYVOL" unwrap --kek kek3072.pem --in w-2048-RSA-OAEP-256 --out wrong 2>log &&
	fail "unwrap with the wrong KEK worked"
grep -q "was wrapped for key encryption key" log || fail "unclear message: $(cat log)"
[ ! -e wrong ] || fail "unwrap with the wrong KEK wrote a file"

step "6. damaged documents fail clearly and write nothing"
value="$(json_field w-2048-RSA-OAEP-256 value)"
if [ "${value:10:1}" = A ]; then new=B; else new=A; fi
flipped="${value:0:10}$new${value:11}"
sed "s/$value/$flipped/" w-2048-RSA-OAEP-256 >tampered
sed 's/"RSA-OAEP-256"/"RSA-OAEP"/' w-2048-RSA-OAEP-256 >other-alg
head -c 60 w-2048-RSA-OAEP-256 >truncated
sed 's/"value":"/"value":"AAAA/' w-2048-RSA-OAEP-256 >longer
for doc in tampered other-alg truncated longer; do
	cmp -s "$doc" w-2048-RSA-OAEP-256 && fail "the $doc document is not damaged"
	"$KEYVOL" unwrap --kek kek2048.pem --in "$doc" --out "out-$doc" 2>log &&
		fail "unwrap of the $doc document worked"
	grep -qE "damaged|Failed to unwrap" log || fail "unclear message for $doc: $(cat log)"
	[ ! -e "out-$doc" ] || fail "unwrap of the $doc document wrote a file"
done

step "7. refusals: a key too long for the KEK, a short KEK, a protected KEK, no KEK"
head -c 200 /dev/urandom >long.key
"$KEYVOL" wrap --kek kek2048.pub --in long.key 2>log >/dev/null && fail "wrap took 200 bytes"
grep -q "Cannot wrap a key of 200 bytes" log || fail "unclear message: $(cat log)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out kek1024.pem 2>/dev/null
"$KEYVOL" wrap --kek kek1024.pem --in key 2>log >/dev/null && fail "wrap took a 1024-bit KEK"
grep -q "at least 2048 bits" log || fail "unclear message: $(cat log)"
openssl pkey -in kek2048.pem -aes256 -passout pass:secret -out locked.pem
"$KEYVOL" unwrap --kek locked.pem --in w-2048-RSA-OAEP 2>log >/dev/null &&
	fail "unwrap took a protected KEK"
grep -q "passphrase" log || fail "unclear message: $(cat log)"
"$KEYVOL" wrap --in key 2>/dev/null
[ $? -eq 2 ] || fail "wrap without --kek does not exit with 2"
echo "all steps passed"
