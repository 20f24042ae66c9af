/// A FIFO of records waiting for a slot in the in-flight window; amortised O(1) at both ends.
struct WorkQueue<Element: Sendable>: Sendable {
    private var elements: [Element] = []
    private var head = 0

    /// Elements waiting.
    var count: Int { self.elements.count - self.head }
    /// Whether none are waiting.
    var isEmpty: Bool { self.count == 0 }

    /// The head, if any.
    var first: Element? { self.head < self.elements.count ? self.elements[self.head] : nil }

    /// Appends at the tail.
    mutating func append(_ element: Element) {
        self.elements.append(element)
    }

    /// Removes the head.
    mutating func popFirst() -> Element? {
        guard self.head < self.elements.count else { return nil }
        let element = self.elements[self.head]
        self.head += 1
        if self.head == self.elements.count {
            self.elements.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.head > 256, self.head * 2 > self.elements.count {
            self.elements.removeFirst(self.head)
            self.head = 0
        }
        return element
    }

    /// Removes every element matching `predicate`, keeping order.
    mutating func removeAll(where predicate: (Element) -> Bool) {
        self.elements = self.elements[self.head...].filter { !predicate($0) }
        self.head = 0
    }
}
