import HooklineCore
import Testing

@Suite("sharded dictionary")
struct ShardedDictionaryTests {
    @Test("reads, writes, in-place changes and removals agree with a Dictionary")
    func agreesWithDictionary() {
        var sharded = ShardedDictionary<String, [Int]>()
        var model: [String: [Int]] = [:]
        var random = SeededGenerator(seed: 32)
        for step in 0..<20_000 {
            let key = "k\(random.next() % 3000)"
            switch random.next() % 4 {
            case 0:
                sharded[key, default: []].append(step)
                model[key, default: []].append(step)
            case 1:
                sharded[key] = nil
                model[key] = nil
            case 2:
                sharded[key]?.append(-step)
                model[key]?.append(-step)
            default:
                #expect(sharded[key] == model[key])
            }
        }
        #expect(sharded.count == model.count && sharded.isEmpty == model.isEmpty)
        #expect(sharded.values.sorted { $0.first ?? 0 < $1.first ?? 0 } == model.values.sorted { $0.first ?? 0 < $1.first ?? 0 })
        #expect(ShardedDictionary<String, Int>().isEmpty)
    }
}
