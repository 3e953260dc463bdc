extension Collection<UInt8> {
    /// Whether `needle` occurs in these bytes (a plain scan: lines and payloads are short).
    package func containsBytes(_ needle: [UInt8]) -> Bool {
        guard let first = needle.first, count >= needle.count else { return false }
        var index = startIndex
        var remaining = count
        while remaining >= needle.count {
            if self[index] == first, self[index...].starts(with: needle) { return true }
            formIndex(after: &index)
            remaining -= 1
        }
        return false
    }
}
