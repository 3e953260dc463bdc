#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed number of 64-bit words that start at zero and cost no resident memory until they are
/// written: `calloc` hands a large request fresh pages from the kernel without writing to them,
/// where `[UInt64](repeating: 0, count:)` would touch every page up front. For tables sized
/// for a full window on an idle server.
///
/// Shared only read-only: its owner copies it before writing when it is not the only owner
/// (`isKnownUniquelyReferenced`), so it can be Sendable.
package final class ZeroedWords: @unchecked Sendable {
    package let count: Int
    private let base: UnsafeMutablePointer<UInt64>
    private let fromCalloc: Bool

    package init(count: Int) {
        self.count = max(1, count)
        if let raw = calloc(self.count, MemoryLayout<UInt64>.stride) {
            base = raw.bindMemory(to: UInt64.self, capacity: self.count)
            fromCalloc = true
        } else {
            // calloc failed: the standard allocator traps when memory is out, as an array would.
            base = UnsafeMutablePointer<UInt64>.allocate(capacity: self.count)
            base.initialize(repeating: 0, count: self.count)
            fromCalloc = false
        }
    }

    deinit {
        if fromCalloc { free(base) } else { base.deallocate() }
    }

    package subscript(index: Int) -> UInt64 {
        get {
            precondition(index >= 0 && index < count)
            return base[index]
        }
        set {
            precondition(index >= 0 && index < count)
            base[index] = newValue
        }
    }

    /// A copy with the same words.
    package func copy() -> ZeroedWords {
        let copy = ZeroedWords(count: count)
        copy.base.update(from: base, count: count)
        return copy
    }
}
