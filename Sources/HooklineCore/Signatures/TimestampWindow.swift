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
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let seconds = Int64(trimmed)
        else {
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
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    package func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let string = Substring(self)
        guard let start = string.firstIndex(where: { !isSpace($0) }),
            let end = string.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return string[start...end]
    }
}
