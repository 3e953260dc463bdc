/// A phone number as CRMs exchange it: the digits as written, and the ISO 3166-1 alpha-2
/// country when the sender says which (Plannr defaults to GB when it is absent).
package struct PhoneNumber: Sendable, Hashable {
    package var number: String
    package var country: String?

    package init(number: String, country: String? = nil) {
        self.number = number
        self.country = country
    }
}

/// The kinds of phone a contact has, shared by the three CRMs.
package enum PhoneKind: String, Sendable, Hashable, CaseIterable {
    case mobile
    case office
    case other
}
