#if canImport(Glibc)
import Glibc
#endif

/// Applying events runs at a lower CPU priority than receiving them: a sender waiting for its
/// answer comes first, and the queue absorbs the difference until the cores are free again.
enum ThreadPriority {
    /// The nice value of threads that apply events (the listener's loops stay at 0).
    static let applying: Int32 = 5

    /// Lowers the calling thread to `applying`. On Linux the nice value is per thread. Raising it
    /// again would need privileges, so it is only called on threads Hookline owns (`ApplyThreads`).
    static func lowerCurrentThread() {
        #if canImport(Glibc)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        if errno == 0, current < applying { _ = setpriority(which, 0, applying) }
        #endif
    }
}
