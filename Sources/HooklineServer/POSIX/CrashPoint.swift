#if canImport(Glibc)
import Glibc
#endif

/// A test hook for crash safety: with `HOOKLINE_CRASH_AT=<point>` in its environment, the process
/// kills itself with SIGKILL on reaching that point — no cleanup, no flush, as a power cut or the
/// OOM killer would. The erase tests use it to stop `hookline erase` between its steps
/// (`docs/development.md` lists the points). Without the variable it costs one comparison.
package enum CrashPoint {
    private static let armed: String? = getenv("HOOKLINE_CRASH_AT").map { String(cString: $0) }

    package static func reach(_ point: String) {
        guard let armed, armed == point else { return }
        kill(getpid(), SIGKILL)
    }
}
