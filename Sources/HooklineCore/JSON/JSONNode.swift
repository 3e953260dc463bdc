/// The type of a JSON value, as readers see it.
package enum JSONKind: Sendable, Hashable {
    case null, bool, number, string, array, object

    /// The type's name, for error messages ("expected a string, got a number").
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One value in a `JSONTape`.
package struct JSONNode {
    let tape: JSONTapeView
    let index: Int

    private var entry: JSONTape.Entry { tape.entries[index] }

    package var kind: JSONKind {
        switch entry.kind {
        case .null: .null
        case .true, .false: .bool
        case .number: .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    package var isNull: Bool { entry.kind == .null }

    /// The string's value, if this is a string.
    package var stringValue: String? { entry.kind == .string ? tape.string(index) : nil }

    /// The number as written, if this is a number.
    package var numberText: String? { entry.kind == .number ? tape.string(index) : nil }

    /// The bytes of a string (escapes not decoded) or a number, as written.
    var rawBytes: UnsafeRawBufferPointer { tape.raw(index) }

    /// Whether this is a string without escapes.
    var isPlainString: Bool { entry.kind == .string && !entry.escaped }

    /// The whole value as a tree.
    package var value: JSONValue { tape.value(index) }

    /// The member `key` of an object (nil for other values or an absent key).
    package func member(_ key: String) -> JSONNode? {
        guard entry.kind == .object else { return nil }
        var key = key
        return key.withUTF8 { name -> JSONNode? in
            let wanted = UnsafeRawBufferPointer(name)
            var member = index + 1
            let end = Int(entry.end)
            while member < end {
                if tape.stringEquals(member, wanted) { return JSONNode(tape: tape, index: member + 1) }
                member = Int(tape.entries[member + 1].end)
            }
            return nil
        }
    }

    /// An object's members in source order (empty for other values).
    package var members: Members { Members(node: self) }

    /// An array's elements in order (empty for other values).
    package var elements: Elements { Elements(node: self) }

    /// Where this value sits in its document, for error messages (`data.phones[0]`).
    package var path: String { tape.path(to: index) }

    package struct Members: Sequence, IteratorProtocol {
        let node: JSONNode
        private var cursor: Int

        init(node: JSONNode) {
            self.node = node
            self.cursor = node.entry.kind == .object ? node.index + 1 : Int(node.entry.end)
        }

        package mutating func next() -> (key: String, value: JSONNode)? {
            guard cursor < Int(node.entry.end) else { return nil }
            let key = cursor
            cursor = Int(node.tape.entries[key + 1].end)
            return (node.tape.string(key), JSONNode(tape: node.tape, index: key + 1))
        }
    }

    package struct Elements: Sequence, IteratorProtocol {
        let node: JSONNode
        private var cursor: Int

        init(node: JSONNode) {
            self.node = node
            self.cursor = node.entry.kind == .array ? node.index + 1 : Int(node.entry.end)
        }

        package mutating func next() -> JSONNode? {
            guard cursor < Int(node.entry.end) else { return nil }
            let element = cursor
            cursor = Int(node.tape.entries[element].end)
            return JSONNode(tape: node.tape, index: element)
        }
    }
}
