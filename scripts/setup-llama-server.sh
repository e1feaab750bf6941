#!/usr/bin/env bash
# Installs what the real-model-server tests need, cached outside the repo:
#   - llama.cpp's llama-server, built (once, several minutes) from the
#     llama.cpp vendored in the pinned, hash-checked llama-cpp-python sdist
#     (scripts/lock/llama-cpp-python.txt);
#   - the tiny test models made by scripts/tiny-model.py (random and
#     scripted weights), in a virtualenv installed from scripts/lock/model.lock.
# --print prints llama-server's path and --print-models the models'
# directory; neither installs anything.
set -euo pipefail
version=0.3.36
here=$(cd "$(dirname "$0")" && pwd)
root="${COHOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cohos}"
cache="$root/llama-server-$version"
bin="$cache/bin/llama-server"
share="$cache/share"
venv="$root/tiny-model-venv-$(sha256sum <"$here/lock/model.lock" | cut -c1-16)"
models="$cache/models-$(cat "$here/tiny-model.py" "$here/lock/model.lock" | sha256sum | cut -c1-16)"

case "${1:-}" in
--print) echo "$bin"; exit 0 ;;
--print-models) echo "$models"; exit 0 ;;
"") ;;
*) echo "setup-llama-server: unknown argument $1 (use --print or --print-models)" >&2; exit 2 ;;
esac

say() { printf 'setup-llama-server: %s\n' "$*" >&2; }
mkdir -p "$root"
exec 9>"$root/llama-server.lock"
flock 9 # one installer at a time; the others find its result

if [ ! -f "$venv/.complete" ]; then
	say "installing the tiny-model generator's virtualenv from scripts/lock/model.lock"
	rm -rf "$venv"
	python3 -m venv "$venv"
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
		--require-hashes --no-deps -r "$here/lock/model.lock"
	touch "$venv/.complete"
fi

if ! { [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1 && [ -f "$share/.complete" ]; }; then
	say "building llama-server from llama-cpp-python $version's llama.cpp (takes several minutes, once)"
	work=$(mktemp -d "$root/llama-build.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	# Hash-checked; no build isolation, so pip reads the sdist's metadata
	# with the pinned build backend from the lock instead of fetching one.
	"$venv/bin/python" -m pip download --quiet --disable-pip-version-check \
		--no-deps --no-binary :all: --no-build-isolation --require-hashes \
		-r "$here/lock/llama-cpp-python.txt" -d "$work/dl"
	tar -xzf "$work/dl/llama_cpp_python-$version.tar.gz" -C "$work"
	src="$work/llama_cpp_python-$version/vendor/llama.cpp"
	# No UI download, no TLS, no tests or examples; static, for any x86-64.
	cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF \
		-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
		-DLLAMA_OPENSSL=OFF >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
	cmake --build "$work/build" --target llama-server -j "$(nproc)" >"$work/build.log" 2>&1 ||
		{ tail -50 "$work/build.log" >&2; exit 1; }
	mkdir -p "$cache/bin" "$share.tmp"
	cp "$src/models/ggml-vocab-qwen2.gguf" "$src/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja" \
		"$src/LICENSE" "$share.tmp/"
	rm -rf "$share" && mv "$share.tmp" "$share" && touch "$share/.complete"
	install -m 0755 "$work/build/bin/llama-server" "$bin.tmp" && mv "$bin.tmp" "$bin"
	"$bin" --version >/dev/null 2>&1
fi

if [ ! -f "$models/.complete" ]; then
	say "generating the tiny test models"
	rm -rf "$models.tmp" && mkdir -p "$models.tmp"
	"$venv/bin/python" "$here/tiny-model.py" --vocab "$share/ggml-vocab-qwen2.gguf" \
		--template "$share/Qwen-Qwen2.5-7B-Instruct.jinja" --out-dir "$models.tmp"
	touch "$models.tmp/.complete"
	rm -rf "$models" && mv "$models.tmp" "$models"
fi
