# Source this file (`. .ci/use-node.sh`) to put the Node.js line that .node-version names on
# PATH. The machine's own `node` is used when it is that line or newer; otherwise the `node`
# package from the npm registry (it ships the platform's binary) is installed once under
# .tools/node-<major>/ and put first on PATH. npm itself then runs on that Node as well.
_sp_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_sp_want="$(tr -dc '0-9.' < "$_sp_root/.node-version" | cut -d. -f1)"
_sp_have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$_sp_have" -lt "$_sp_want" ]; then
  _sp_dir="$_sp_root/.tools/node-$_sp_want"
  if [ ! -x "$_sp_dir/node_modules/node/bin/node" ]; then
    echo "Node.js $_sp_have is older than the project's line ($_sp_want): installing node@$_sp_want from the npm registry into .tools/" >&2
    mkdir -p "$_sp_dir"
    # the installer's own package.json: the `node` package's install script is the download
    printf '{ "private": true, "allowScripts": { "node": true } }\n' > "$_sp_dir/package.json"
    npm install --prefix "$_sp_dir" --no-save --no-package-lock --no-audit --no-fund "node@$_sp_want" >&2 \
      || { echo "could not install node@$_sp_want" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$_sp_dir/node_modules/node/bin:$PATH"
fi
unset _sp_root _sp_want _sp_have _sp_dir
