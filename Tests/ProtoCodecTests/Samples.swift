import Messages

/// The values scripts/make-codec-fixtures.py encodes with Python, built again in Swift.
enum Samples {
    static func order() -> Bench_V1_Order {
        var order = Bench_V1_Order()
        order.id = "ord_01J9Z3K4M5N6P7Q8R9S0T1V2W3"
        order.externalId = "EXT-2024-000123"
        order.customerPhone = "13812345678"
        order.customerName = "张三"
        order.address = "上海市浦东新区世纪大道100号"
        order.totalCents = 45900
        order.channel = "partner"
        order.teamPath = "/east/shanghai/team-3"
        order.createdAtUnixMs = 1_718_000_000_123
        var first = Bench_V1_Item()
        first.sku = "SKU-001"
        first.name = "Widget"
        first.qty = 2
        first.unitPriceCents = 12950
        var second = Bench_V1_Item()
        second.sku = "SKU-002"
        second.name = "Gadget \u{1F680}"
        second.qty = 1
        second.unitPriceCents = 20000
        order.items = [first, second]
        return order
    }

    static func everything() -> Xsc_Codectest_V1_Everything {
        var e = Xsc_Codectest_V1_Everything()
        var s = Xsc_Codectest_V1_Scalars()
        s.fDouble = -1.5; s.fFloat = 3.25; s.fInt32 = -42; s.fInt64 = -9_000_000_000
        s.fUint32 = 4_000_000_000; s.fUint64 = .max; s.fSint32 = -7; s.fSint64 = -9_000_000_000_000
        s.fFixed32 = 7; s.fFixed64 = 8; s.fSfixed32 = -9; s.fSfixed64 = -10
        s.fBool = true; s.fString = "héllo"; s.fBytes = [0, 1, 2, 255]; s.fColor = .blue
        e.scalars = s
        var nested = Xsc_Codectest_V1_Everything.Nested()
        nested.label = "n"
        nested.kind = .leaf
        e.nested = nested
        e.rDouble = [1.0, -2.5]; e.rFloat = [0.5]; e.rInt32 = [1, -1, 300]
        e.rInt64 = [-(1 << 40)]; e.rUint32 = [0, 4_294_967_295]; e.rUint64 = [1 << 63]
        e.rSint32 = [-3, 3]; e.rSint64 = [-(1 << 50)]; e.rFixed32 = [5]; e.rFixed64 = [6]
        e.rSfixed32 = [-5]; e.rSfixed64 = [-6]; e.rBool = [true, false, true]
        e.rString = ["a", "", "ccc"]; e.rBytes = [[], [0, 1]]
        e.rColor = [.red, .green]
        var x = Xsc_Codectest_V1_Everything.Nested()
        x.label = "x"
        var y = Xsc_Codectest_V1_Everything.Nested()
        y.label = "y"
        y.kind = .leaf
        e.rNested = [x, y]
        e.rUnpackedInt32 = [10, 20]
        var chosen = Xsc_Codectest_V1_Everything.Nested()
        chosen.label = "chosen"
        e.choice = .cNested(chosen)
        e.oInt32 = 0
        e.oString = ""
        e.oColor = .green
        e.oBool = false
        var timestamp = Google_Protobuf_Timestamp()
        timestamp.seconds = 1_718_000_000
        timestamp.nanos = 5
        e.createdAt = timestamp
        e.nothing = Google_Protobuf_Empty()
        return e
    }

    static func maps() -> Xsc_Codectest_V1_Everything {
        var e = Xsc_Codectest_V1_Everything()
        e.mStringString = ["k1": "v1", "": "empty key"]
        e.mInt32Int64 = [-1: 1 << 40, 7: 0]
        e.mUint64Bool = [1 << 63: true]
        var value = Xsc_Codectest_V1_Everything.Nested()
        value.label = "nested value"
        e.mStringNested = ["n": value]
        e.mSint32Bytes = [-2: [0xFF]]
        e.mBoolColor = [true: .blue]
        e.mFixed64Double = [9: 2.5]
        e.choice = .cString("choice string")
        return e
    }

    static func tree() -> Xsc_Codectest_V1_TreeNode {
        var root = Xsc_Codectest_V1_TreeNode()
        root.name = "root"
        var leftLeft = Xsc_Codectest_V1_TreeNode()
        leftLeft.name = "ll"
        var left = Xsc_Codectest_V1_TreeNode()
        left.name = "l"
        left.left = leftLeft
        root.left = left
        var right = Xsc_Codectest_V1_TreeNode()
        right.link = .parentName("root")
        root.right = right
        var grandchild = Xsc_Codectest_V1_TreeNode()
        grandchild.name = "c1a"
        var child = Xsc_Codectest_V1_TreeNode()
        child.name = "c1"
        child.children = [grandchild]
        root.children = [child]
        var parent = Xsc_Codectest_V1_TreeNode()
        parent.name = "virtual parent"
        root.link = .parent(parent)
        return root
    }
}
