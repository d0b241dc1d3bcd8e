#!/bin/bash -eu
# Builds every cargo-fuzz target of fuzz/ with the sanitizer ClusterFuzzLite asks for (cargo fuzz
# reads it from the environment the builder image sets) and hands each binary, with its committed
# seed corpus, to ClusterFuzzLite in $OUT. A target is one file in fuzz/fuzz_targets/.
cd "$SRC/exsim/fuzz"
cargo fuzz build -O
release=target/x86_64-unknown-linux-gnu/release
for source in fuzz_targets/*.rs; do
  target=$(basename "$source" .rs)
  cp "$release/$target" "$OUT/"
  # The committed seeds (and minimized regressions) start every run where the last ones stopped.
  if [ -d "corpus/$target" ] || [ -d "regressions/$target" ]; then
    zip -q -j -r "$OUT/${target}_seed_corpus.zip" $(ls -d "corpus/$target" "regressions/$target" 2>/dev/null)
  fi
done
