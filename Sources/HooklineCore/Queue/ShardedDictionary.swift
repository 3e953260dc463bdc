/// A dictionary kept as 256 smaller ones, chosen by the key's hash. A Swift dictionary grows by
/// rehashing itself whole into a table twice its size: with a hundred thousand entries, tens of
/// megabytes copied and faulted in page by page at once, while its owner holds the lock every
/// delivery needs. A shard grows at a 256th of that, and the shards' slightly unequal shares
/// spread their growth out instead of doubling all at once.
package struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// log2 of the shard count. Growing to 200,000 owed events, 32 shards held a batch of ten
    /// lines up to 1.6–2.4 ms, and 58–63 batches over 0.5 ms (their resizes came in clusters);
    /// 256 shards 0.3–0.7 ms, and 0–3 (`hookline-bench micro --only journal`).
    private static var shardBits: Int { 8 }
    private var shards: [[Key: Value]]

    /// Each shard starts with room for a dozen entries, so a table's first few thousand entries
    /// allocate nothing beyond these.
    package init() {
        shards = (0..<(1 << Self.shardBits)).map { _ in
            var shard: [Key: Value] = [:]
            shard.reserveCapacity(12)
            return shard
        }
    }

    /// The key's shard, from the top bits of its hash (each shard's own table hashes the key
    /// with its own seed, so this leaves its buckets evenly used).
    private static func shard(_ key: Key) -> Int { Int(UInt(bitPattern: key.hashValue) >> (UInt.bitWidth - shardBits)) }

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

    /// How many shards there are: a caller can visit them one at a time (`shard(_:)`),
    /// letting go of its lock between them.
    package static var shardCount: Int { 1 << shardBits }

    /// Shard `index` (`0..<shardCount`).
    package func shard(_ index: Int) -> [Key: Value] { shards[index] }

    /// Every key, in no particular order.
    package var keys: [Key] { shards.flatMap(\.keys) }
}
