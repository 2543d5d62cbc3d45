# Sourced by bin/sail-volume and bin/run-tests: finds a JDK 25 and exports JAVA_HOME.
# Order: $JAVA_HOME when it is 25 or newer, then Temurin 25 where Debian puts it, then any JDK 25 under /usr/lib/jvm.

sail_java_version() { # prints the feature version of $1/bin/java, or nothing
  local line
  # A JDK's release file names its version; reading it costs nothing, while asking java starts a whole JVM
  # (100-300 ms on these machines) before every command. Bash builtins only: this runs before every command.
  if [ -r "$1/release" ]; then
    while IFS= read -r line; do
      case "$line" in
        JAVA_VERSION=\"[0-9]*)
          line=${line#JAVA_VERSION=\"}
          line=${line%%[!0-9]*}
          echo "$line"
          return 0 ;;
      esac
    done <"$1/release"
  fi
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

sail_select_jdk() {
  local candidate version
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 /usr/lib/jvm/*-25-* /usr/lib/jvm/*25*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    version=$(sail_java_version "$candidate")
    if [ -n "$version" ] && [ "$version" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "sail-volume: no JDK 25 found (checked \$JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm)." >&2
  echo "  Install Temurin 25 (apt-get install -y temurin-25-jdk from the Adoptium repository)" >&2
  echo "  or point JAVA_HOME at a JDK 25 or newer." >&2
  return 1
}
