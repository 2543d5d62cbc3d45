# Sourced by bin/sail-volume, bin/aot-cache and bin/package: the guest's classpath and its JVM ahead-of-time
# cache (JDK 25, JEP 483/514/515: classes loaded and linked, and method profiles, from a training run).
#
# A cache is named guest-<key>.aot, where the key covers everything it depends on: the JDK build, the name,
# size and modification time of every jar of the classpath, and the JVM flags below. The launcher computes
# the key on every start and uses a cache only under exactly that name, so a rebuilt jar or another JDK
# simply finds no cache. That check is the launcher's, not the JVM's: JDK 25.0.3 does not notice a changed
# jar and would run the cached (old) classes (JDK-8377932, fixed in 25.0.4).
#
# Where caches live, looked up in this order (see docs/deploy.md):
#   the installation's own dir   lib/aot/ in a distribution (bin/package writes it), volume-fuse/target/aot/
#                                in a source checkout
#   the user's cache dir         ${SAIL_VOLUME_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/sail-volume}/aot/
# A cache is code the JVM trusts: one is used only from a directory owned by this user (or root) that no
# one else can write.

# The flags every guest JVM runs with; bin/aot-cache trains with exactly these.
sail_guest_jvm_flags=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)

# Fills sail_jars with the classpath of <module> under <root>, in a fixed order (the cache records the
# classpath; a wildcard would follow the directory's order, which differs between file systems). Answers
# 1 when the module is not built. Bash builtins only, like everything the launcher runs before the JVM:
# each process started costs 10-20 ms on a busy 2-core machine.
sail_module_jars() { # root module
  local root=$1 module=$2 candidate LC_ALL=C
  sail_jars=()
  if [ -d "$root/lib/$module" ]; then
    sail_jars=("$root/lib/$module"/*.jar)
  else
    for candidate in "$root/$module/target/$module"-*.jar; do
      case "$candidate" in
        *-sources.jar|*-tests.jar|*-javadoc.jar) ;;
        *) [ -f "$candidate" ] && sail_jars=("$candidate") && break ;;
      esac
    done
    [ ${#sail_jars[@]} = 1 ] && [ -d "$root/$module/target/lib" ] || return 1
    sail_jars+=("$root/$module/target/lib"/*.jar)
  fi
  [ -f "${sail_jars[0]}" ]
}

sail_classpath() { # jars...
  local IFS=:
  echo "$*"
}

# The key of the cache for these jars on this JDK (see above). Two processes (stat, sha256sum): it runs
# before every guest command.
sail_aot_key() { # jars...
  local line sum
  sum=$({
    echo "sail-volume-aot 1 ${sail_guest_jvm_flags[*]}"
    if [ -r "$JAVA_HOME/release" ]; then
      while read -r line; do
        case "$line" in IMPLEMENTOR=*|JAVA_RUNTIME_VERSION=*|JVM_VERSION=*|OS_ARCH=*|LIBC=*) echo "$line" ;; esac
      done < "$JAVA_HOME/release"
    fi
    printf '%s\n' "${@##*/}"
    stat -L -c '%s %.9Y' "$JAVA_HOME/lib/modules" "$JAVA_HOME/lib/server/libjvm.so" "$@" 2>&1
  } | sha256sum)
  echo "${sum:0:24}"
}

# Sets sail_aot_dir_list to the directories a cache may be in, in lookup order.
sail_aot_dirs() { # root
  if [ -d "$1/lib" ]; then sail_aot_dir_list=("$1/lib/aot"); else sail_aot_dir_list=("$1/volume-fuse/target/aot"); fi
  sail_aot_dir_list+=("${SAIL_VOLUME_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/sail-volume}/aot")
}

# True when every path belongs to this user or root and no one else can write it.
sail_aot_trusted() { # paths...
  local out owner mode
  out=$(stat -L -c '%u %a' -- "$@" 2>/dev/null) || return 1
  while read -r owner mode; do
    { [ "$owner" = "$EUID" ] || [ "$owner" = 0 ]; } && (( (8#$mode & 8#022) == 0 )) || return 1
  done <<<"$out"
}

# Prints the cache for <key>, when there is a trusted one.
sail_aot_find() { # root key
  local dir
  sail_aot_dirs "$1"
  for dir in "${sail_aot_dir_list[@]}"; do
    if [ -f "$dir/guest-$2.aot" ] && sail_aot_trusted "$dir" "$dir/guest-$2.aot"; then
      echo "$dir/guest-$2.aot"
      return 0
    fi
  done
  return 1
}

# Prints the first directory a new cache can be written to (created mode 0700 when missing).
sail_aot_write_dir() { # root
  local dir
  sail_aot_dirs "$1"
  for dir in "${sail_aot_dir_list[@]}"; do
    (umask 077 && mkdir -p "$dir") 2>/dev/null || continue
    if [ -w "$dir" ] && sail_aot_trusted "$dir"; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# False when the user turned the cache off (SAIL_VOLUME_AOT=off).
sail_aot_enabled() {
  case "${SAIL_VOLUME_AOT:-on}" in off|0|false|no) return 1 ;; *) return 0 ;; esac
}
