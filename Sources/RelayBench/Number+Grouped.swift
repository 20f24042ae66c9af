extension Double {
    /// The value rounded to a whole number with thousands separators (`12,345`).
    var grouped: String { Int(self.rounded()).grouped }
}

extension Int {
    /// The number with thousands separators (`12,345`).
    var grouped: String {
        let digits = String(self.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return self < 0 ? "-" + out : out
    }
}
