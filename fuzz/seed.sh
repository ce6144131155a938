#!/usr/bin/env bash
# Seed fuzz/corpus/<target>/ from the repository's test fixtures. Idempotent: seeds are named
# after their source, so rerunning overwrites them and never touches what the fuzzer added.
# TEST-ONLY keys only (keys/tests/data, crates/crypto/kat, examples/demo-*).
set -euo pipefail
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz_dir")
corpus="$fuzz_dir/corpus"

seed() { # seed <target> <file>...: copy, named by the path relative to the repository
    local target=$1; shift
    mkdir -p "$corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] || continue
        local rel=${f#"$root"/}
        cp "$f" "$corpus/$target/seed-${rel//\//_}"
    done
}
seed_text() { # seed_text <target> <name> <content>
    mkdir -p "$corpus/$1"
    printf '%s' "$3" > "$corpus/$1/seed-$2"
}

shopt -s nullglob globstar
manifests=("$root"/cli/tests/check_corpus/**/*.yaml "$root"/cli/tests/check_corpus/**/*.yml
           "$root"/cli/tests/check_corpus/**/*.json "$root"/examples/secret.yaml
           "$fuzz_dir"/fixtures/sealed-for-test-key-a/*.json)
sealed=("$fuzz_dir"/fixtures/sealed-for-test-key-a/*.json)
pems=("$root"/keys/tests/data/*.pem "$root"/crates/crypto/kat/*.pem "$root"/examples/*.pem)

seed manifests "${manifests[@]}"
seed keyfiles "${pems[@]}"

# A key Secret (kubernetes.io/tls), in YAML and in a v1.List, from TEST-ONLY key a.
key_b64=$(base64 -w0 < "$root/keys/tests/data/test-only-rsa2048-a.pkcs1.pem")
crt_b64=$(base64 -w0 < "$root/keys/tests/data/test-only-rsa2048-a.crt.pem")
tls_secret="apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: sealed-secrets-keytest
  namespace: kube-system
data:
  tls.crt: $crt_b64
  tls.key: $key_b64
"
seed_text keyfiles key-secret.yaml "$tls_secret"
seed_text keyfiles key-list.json "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"items\":[{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"type\":\"kubernetes.io/tls\",\"metadata\":{\"name\":\"k\"},\"data\":{\"tls.crt\":\"$crt_b64\",\"tls.key\":\"$key_b64\"}}]}"

fp=f2697a610d9be4d989307e3e476a729c5907845897bb3e00cb29d68c2c2df526 # key a, from keys/src/test_data.rs
seed_text sealed_for strict "fingerprint=$fp; scope=strict; target=prod/db"
seed_text sealed_for cluster-wide "fingerprint=$fp; scope=cluster-wide; target=/db"
seed_text sealed_for lenient " target=prod/db;scope=namespace-wide ; future=1; fingerprint=$fp;"

seed check_config "$root/cli/tests/check_corpus/.sealant.yaml"
seed_text check_config list 'ignore:
  - "test/fixtures/**"
  - "charts/*/templates/"
  - "./a/{b,c}/[!x]*.yaml"
'
seed_text check_config empty ''

# http_verify_rotate: first byte 0 = /v1/verify, 1 = /v1/rotate, then the body.
mkdir -p "$corpus/http_verify_rotate"
for f in "${sealed[@]}"; do
    name=$(basename "$f" .json)
    { printf '\0'; cat "$f"; } > "$corpus/http_verify_rotate/seed-verify-$name"
    { printf '\1'; cat "$f"; } > "$corpus/http_verify_rotate/seed-rotate-$name"
done

# Structure-aware targets (arbitrary) start from an empty corpus.
mkdir -p "$corpus/envelope" "$corpus/template"
printf 'seeded: %s\n' "$(cd "$corpus" && for d in *; do printf '%s=%s ' "$d" "$(ls "$d" | wc -l)"; done)"
