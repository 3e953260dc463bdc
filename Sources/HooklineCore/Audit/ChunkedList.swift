import DequeModule

/// A list appended at the back and trimmed from the front, kept in chunks of a fixed size.
/// Appending never moves what is stored: an array holding a few hundred thousand entries copies
/// all of them when it grows, a pause (and a new allocation faulted in page by page) on whatever
/// thread appends. Dropping the oldest entries frees whole chunks.
package struct ChunkedList<Element: Sendable>: Sendable, Sequence {
    package static var chunkSize: Int { 4096 }

    private var chunks: Deque<[Element]> = []
    /// Entries already dropped from the first chunk.
    private var dropped = 0
    package private(set) var count = 0

    package init() {}

    package var isEmpty: Bool { count == 0 }

    package var first: Element? { isEmpty ? nil : chunks[0][dropped] }

    package mutating func append(_ element: Element) {
        if chunks.last.map({ $0.count == Self.chunkSize }) ?? true {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    /// Drops the oldest `k` entries (all of them when there are fewer).
    package mutating func removeFirst(_ k: Int) {
        var remaining = Swift.min(Swift.max(0, k), count)
        count -= remaining
        while remaining > 0 {
            let inFirst = chunks[0].count - dropped
            if remaining < inFirst {
                dropped += remaining
                return
            }
            remaining -= inFirst
            chunks.removeFirst()
            dropped = 0
        }
        if count == 0 {
            chunks.removeAll()
            dropped = 0
        }
    }

    /// Drops entries from the front while `predicate` holds for them.
    package mutating func removeFirst(while predicate: (Element) -> Bool) {
        var k = 0
        for element in self {
            guard predicate(element) else { break }
            k += 1
        }
        removeFirst(k)
    }

    package struct Iterator: IteratorProtocol {
        fileprivate var chunks: Deque<[Element]>.Iterator
        fileprivate var current: ArraySlice<Element>.Iterator?

        package mutating func next() -> Element? {
            while true {
                if let element = current?.next() { return element }
                guard let chunk = chunks.next() else { return nil }
                current = chunk[...].makeIterator()
            }
        }
    }

    package func makeIterator() -> Iterator {
        var outer = chunks.makeIterator()
        let first = outer.next().map { $0[dropped...].makeIterator() }
        return Iterator(chunks: outer, current: first)
    }

    package var underestimatedCount: Int { count }
}
