#if canImport(Glibc)
import Glibc
#endif

/// A single updating status line on standard error, for long replays on a terminal.
struct ProgressLine {
    let total: Int
    let enabled: Bool
    private let started = ContinuousClock.now
    private var lastDrawn = ContinuousClock.now - .seconds(1)

    init(total: Int) {
        self.total = total
        self.enabled = isatty(STDERR_FILENO) == 1 && total >= 20
    }

    /// Redraws at most ten times a second.
    mutating func update(done: Int, failed: Int) {
        guard enabled, ContinuousClock.now - lastDrawn >= .milliseconds(100) || done == total else { return }
        lastDrawn = .now
        let seconds = max(0.001, (ContinuousClock.now - started).secondsValue)
        let rate = Double(done) / seconds
        StandardError.write("\r\u{1B}[2K  \(done)/\(total) sent · \(Int(rate.rounded()))/s · \(failed) failed")
    }

    func finish() {
        if enabled { StandardError.write("\r\u{1B}[2K") }
    }
}

extension Duration {
    fileprivate var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
