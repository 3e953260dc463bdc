import Synchronization

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

/// A test hook for stalls: with `HOOKLINE_STALL_AT=<point>` in its environment, the process stops
/// itself with SIGSTOP the first time it reaches that point — all of it, as a paused VM or a
/// debugger would, at exactly that instant — and carries on from there at a SIGCONT. The fleet
/// tests use `call.before-write` (a call permitted by its lease, its body not yet written) to show
/// what a stall in the one window no lease check can close does (`docs/fleet.md`). Without the
/// variable it costs one comparison.
package enum StallPoint {
    private static let armed: String? = getenv("HOOKLINE_STALL_AT").map { String(cString: $0) }
    private static let reached = Atomic<Bool>(false)

    package static func reach(_ point: String) {
        guard let armed, armed == point, !reached.exchange(true, ordering: .relaxed) else { return }
        // To this thread (glibc's raise is a tgkill): it takes the signal on its way out of the
        // call and stops there. A kill(getpid()) goes to the main thread, which stops the others
        // a moment later — time enough for this one to run on and write.
        raise(SIGSTOP)
    }
}
