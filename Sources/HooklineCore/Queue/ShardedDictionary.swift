/// A dictionary kept as 32 smaller ones, chosen by the key's hash. A Swift dictionary grows by
/// rehashing itself whole into a table twice its size: with a hundred thousand entries, tens of
/// megabytes copied and faulted in page by page at once, while its owner holds the lock every
/// delivery needs. A shard grows at a 32nd of that.
package struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var shards = [[Key: Value]](repeating: [:], count: 32)

    package init() {}

    /// The key's shard, from the top bits of its hash (each shard's own table hashes the key
    /// with its own seed, so this leaves its buckets evenly used).
    private static func shard(_ key: Key) -> Int { Int(UInt(bitPattern: key.hashValue) >> (UInt.bitWidth - 5)) }

    package subscript(key: Key) -> Value? {
        get { shards[Self.shard(key)][key] }
        _modify { yield &shards[Self.shard(key)][key] }
    }

    package subscript(key: Key, default value: @autoclosure () -> Value) -> Value {
        get { shards[Self.shard(key)][key] ?? value() }
        _modify { yield &shards[Self.shard(key)][key, default: value()] }
    }

    package var count: Int { shards.reduce(0) { $0 + $1.count } }

    package var isEmpty: Bool { shards.allSatisfy(\.isEmpty) }

    /// Every value, in no particular order.
    package var values: [Value] { shards.flatMap(\.values) }
}
