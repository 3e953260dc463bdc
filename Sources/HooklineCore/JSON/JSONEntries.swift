/// The parser's growing list of entries: in a caller's (stack) buffer until it is full, then
/// in a heap buffer twice the size, moved as often as it fills. Entries are plain values.
struct JSONEntries {
    typealias Entry = JSONTape.Entry
    private var base: UnsafeMutablePointer<Entry>
    private var capacity: Int
    private(set) var count = 0
    private var onHeap = false

    init(stack: UnsafeMutableBufferPointer<Entry>) {
        // A temporary allocation always has an address, even of capacity 0 it is not used.
        base = stack.baseAddress ?? UnsafeMutablePointer<Entry>.allocate(capacity: 1)
        capacity = stack.baseAddress == nil ? 1 : stack.count
        onHeap = stack.baseAddress == nil
    }

    mutating func append(_ entry: Entry) {
        if count == capacity { grow() }
        (base + count).initialize(to: entry)
        count += 1
    }

    subscript(index: Int) -> Entry {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }

    func withUnsafeBufferPointer<Value, Failure: Error>(_ body: (UnsafeBufferPointer<Entry>) throws(Failure) -> Value) throws(Failure) -> Value {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Frees the heap buffer, if the entries moved to one.
    mutating func release() {
        if onHeap { base.deallocate() }
        onHeap = false
    }

    private mutating func grow() {
        let larger = UnsafeMutablePointer<Entry>.allocate(capacity: capacity * 2)
        larger.initialize(from: base, count: count)
        if onHeap { base.deallocate() }
        base = larger
        capacity *= 2
        onHeap = true
    }
}
