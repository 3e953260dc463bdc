/// How far a signed timestamp may stray from the moment a request was received.
package struct TimestampWindow: Sendable, Hashable {
    /// When the request arrived — not when it is processed.
    package var receivedAt: UnixTime
    /// The allowed distance in either direction.
    package var tolerance: Duration

    package init(receivedAt: UnixTime, tolerance: Duration = .seconds(300)) {
        self.receivedAt = receivedAt
        self.tolerance = tolerance
    }

    /// Parses a unix-seconds header value and checks it lies within the window.
    /// Returns the rejection to answer, or nil when the timestamp is acceptable.
    func check(_ value: String, header: String) -> SignatureRejection? {
        let trimmed = value.trimmingWhitespace()
        guard let seconds = Self.wholeSeconds(trimmed) else {
            return .malformedHeader(header, "expected a unix timestamp in whole seconds")
        }
        let toleranceSeconds = tolerance.components.seconds
        let now = receivedAt.seconds
        if now - seconds > toleranceSeconds {
            return .timestampTooOld(header, ageSeconds: now - seconds, toleranceSeconds: toleranceSeconds)
        }
        if seconds - now > toleranceSeconds {
            return .timestampTooNew(header, aheadSeconds: seconds - now, toleranceSeconds: toleranceSeconds)
        }
        return nil
    }

    /// Decimal digits as seconds; nil for anything else, for nothing, or past Int64.
    static func wholeSeconds(_ text: Substring) -> Int64? {
        guard !text.utf8.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflowTimes, !overflowSum else { return nil }
            value = sum
        }
        return value
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    package func trimmingWhitespace() -> Substring {
        // Spaces and tabs are single bytes: trimmed on the UTF-8 view, without grapheme breaking.
        let string = Substring(self)
        let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let start = string.utf8.firstIndex(where: { !isSpace($0) }),
            let end = string.utf8.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return string[start...end]
    }
}
