#!/usr/bin/env bash
# The image's runtime packages cannot drift from the binaries (no Docker engine runs here, so the
# image itself is never built in CI): every library the binaries the Dockerfile copies load
# (ldd, the whole closure, with the libraries they open at run time) belongs to a package
# (dpkg -S) that the Dockerfile's runtime apt-get install lists, and the list names nothing else
# but the declared data packages.
# Also: the image carries a binary for every process the Helm chart runs.
# usage: dockerfile_deps_test.sh <source dir> <folder of the built binaries> [Dockerfile]
set -euo pipefail
src="$1"
bin="$2"
dockerfile="${3:-$src/deploy/docker/Dockerfile}"
# Packages with no library that the binaries need at run time: the zones of the SLA calendars
# (absl::LoadTimeZone reads /usr/share/zoneinfo) and the CAs for TLS.
data_packages="ca-certificates tzdata"
# Libraries the binaries open with dlopen rather than link, which ldd of a binary does not show:
# libpq, opened when a PostgreSQL database is (libs/storage/src/libpq.h).
opened_at_run_time="libpq.so.5"
status=0

binaries=$(sed -n 's/^ARG ITSM_BINARIES="\(.*\)"$/\1/p' "$dockerfile")
[ -n "$binaries" ] || { echo "no ARG ITSM_BINARIES=\"...\" in $dockerfile" >&2; exit 1; }
for service in incident configuration change sla sla-timer supplier webhooks gateway; do
  grep -q "^  $service:$" "$src/helm/itsm/values.yaml" || { echo "values.yaml has no service $service" >&2; status=1; }
  case " $binaries " in *" itsm-$service "*) ;; *) echo "the image lacks itsm-$service, which the chart runs" >&2; status=1 ;; esac
done

for b in $binaries; do
  [ -x "$bin/$b" ] || { echo "not built: $bin/$b (tools/build.sh itsm_suite)" >&2; exit 1; }
done
opened=""
for soname in $opened_at_run_time; do
  # awk reads to the end: leaving early would kill ldconfig with SIGPIPE, and pipefail with it.
  path=$(ldconfig -p | awk -v n="$soname" '$1 == n && path == "" { path = $NF } END { print path }')
  [ -n "$path" ] || { echo "not installed: $soname, which the binaries open at run time" >&2; exit 1; }
  opened="$opened $path"
done
# The whole closure of each binary and of each library opened at run time, with the library.
libraries=$(for object in $(for b in $binaries; do echo "$bin/$b"; done) $opened; do
  case "$object" in "$bin"/*) ;; *) echo "$object" ;; esac
  ldd "$object" | sed -n 's/.*=> not found.*/NOTFOUND &/p; s/.*=> \(\/[^ ]*\) .*/\1/p; s/^\t\(\/[^ ]*\) .*/\1/p'
done | sort -u)
if grep -q NOTFOUND <<< "$libraries"; then echo "unresolved libraries: $(grep NOTFOUND <<< "$libraries")" >&2; exit 1; fi

# dpkg knows a file by the path its package installed (/lib or /usr/lib on a merged /usr, or
# the link's target): ask for every variant of every library in one call.
variants() {
  local path="$1"
  echo "$path"
  case "$path" in /lib/*) echo "/usr$path" ;; /usr/lib/*) echo "${path#/usr}" ;; esac
  realpath "$path"
}
owners=$(for lib in $libraries; do variants "$lib"; done | sort -u | xargs dpkg -S 2>/dev/null || true)
needed=$data_packages
for lib in $libraries; do
  package=""
  for v in $(variants "$lib"); do
    package=$(awk -v f="$v" 'index($0, ": " f) && substr($0, length($0) - length(f) + 1) == f { sub(/:.*/, ""); print; exit }' <<< "$owners")
    [ -n "$package" ] && break
  done
  if [ -z "$package" ]; then echo "no package owns $lib" >&2; status=1; continue; fi
  needed="$needed $package"
done
needed=$(tr ' ' '\n' <<< "$needed" | grep -v '^$' | sort -u)

listed=$(sed -n '/^# runtime-packages:begin/,/^# runtime-packages:end/p' "$dockerfile" |
  grep -v '^#' | sed 's/\\$//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
[ -n "$listed" ] || { echo "no runtime-packages block in $dockerfile" >&2; exit 1; }

missing=$(comm -23 <(echo "$needed") <(echo "$listed"))
extra=$(comm -13 <(echo "$needed") <(echo "$listed"))
if [ -n "$missing" ]; then
  echo "the Dockerfile's runtime list lacks packages the binaries load: $(echo $missing)" >&2
  status=1
fi
if [ -n "$extra" ]; then
  echo "the Dockerfile's runtime list has packages no binary loads: $(echo $extra)" >&2
  status=1
fi
echo "$(wc -w <<< "$binaries") binaries, $(wc -w <<< "$libraries") libraries from $(wc -w <<< "$needed") packages (with $data_packages)"
if [ $status -eq 0 ]; then echo "dockerfile runtime packages: 1 passed, 0 failed"; else echo "dockerfile runtime packages: 0 passed, 1 failed"; fi
exit $status
