#if canImport(Glibc)
import Glibc
#endif

extension Collection<UInt8> {
    /// Whether `needle` occurs in these bytes: `memchr` for its first byte and `memcmp` over
    /// contiguous bytes (an erase or a payload pass asks it of every line of a log), a plain
    /// scan otherwise.
    package func containsBytes(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        if let found = withContiguousStorageIfAvailable({ haystack in Self.search(UnsafeRawBufferPointer(haystack), needle) }) { return found }
        var index = startIndex
        var remaining = count
        while remaining >= needle.count {
            if self[index] == needle[0], self[index...].starts(with: needle) { return true }
            formIndex(after: &index)
            remaining -= 1
        }
        return false
    }

    private static func search(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        needle.withUnsafeBytes { needle in
            guard let base = haystack.baseAddress, let wanted = needle.baseAddress, let first = needle.first else { return false }
            var offset = 0
            let last = haystack.count - needle.count
            while offset <= last, let hit = memchr(base + offset, Int32(first), last - offset + 1) {
                let at = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + at, wanted, needle.count) == 0 { return true }
                offset = at + 1
            }
            return false
        }
    }
}
