import CCairo

/// Why a PDF could not be made (cairo's status, as text for the log).
public struct PDFError: Error, CustomStringConvertible {
    public var description: String
}

/// A PDF drawn page by page in memory: text laid out by Pango in `fontFamily` (the fonts are
/// embedded as subsets, so the file prints the same everywhere), thin rules, page breaks.
/// Coordinates are PostScript points from the top-left corner. Not thread-safe: one document
/// per task. All unsafe code of cairo and Pango lives in this file.
public final class PDFDocument {
    public let width: Double
    public let height: Double
    public let fontFamily: String
    private let sink = Sink()
    private let surface: OpaquePointer
    private let context: OpaquePointer
    private let layout: OpaquePointer
    private var finished = false

    /// A4 portrait by default.
    public init(width: Double = 595.28, height: Double = 841.89, fontFamily: String = "Noto Sans CJK SC") throws {
        self.width = width
        self.height = height
        self.fontFamily = fontFamily
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        guard let surface = cairo_pdf_surface_create_for_stream({ closure, data, length in
            guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
            Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue().bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
            return CAIRO_STATUS_SUCCESS
        }, closure, width, height) else { throw PDFError(description: "cairo could not create a PDF surface") }
        self.surface = surface
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let context = cairo_create(surface) else {
            cairo_surface_destroy(surface)
            throw PDFError(description: "cairo could not start drawing")
        }
        self.context = context
        guard let layout = pango_cairo_create_layout(context) else {
            cairo_destroy(context)
            cairo_surface_destroy(surface)
            throw PDFError(description: "pango could not create a layout")
        }
        self.layout = layout
        cairo_set_source_rgb(context, 0, 0, 0)
    }

    deinit {
        g_object_unref(UnsafeMutableRawPointer(layout))
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    public enum Alignment { case left, right, center }

    /// Draws `text` with its top-left at (x, y), in a box `boxWidth` wide when aligned right or
    /// centred; returns the height it took.
    @discardableResult
    public func text(_ text: String, x: Double, y: Double, size: Double, bold: Bool = false,
                     boxWidth: Double? = nil, alignment: Alignment = .left) -> Double {
        let description = pango_font_description_new()
        defer { pango_font_description_free(description) }
        pango_font_description_set_family(description, fontFamily)
        pango_font_description_set_weight(description, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_font_description_set_absolute_size(description, size * Double(PANGO_SCALE))
        pango_layout_set_font_description(layout, description)
        pango_layout_set_width(layout, boxWidth.map { Int32($0 * Double(PANGO_SCALE)) } ?? -1)
        let align: PangoAlignment = switch alignment {
        case .left: PANGO_ALIGN_LEFT
        case .right: PANGO_ALIGN_RIGHT
        case .center: PANGO_ALIGN_CENTER
        }
        pango_layout_set_alignment(layout, align)
        pango_layout_set_text(layout, text, -1)
        cairo_move_to(context, x, y)
        pango_cairo_show_layout(context, layout)
        var inkWidth: Int32 = 0
        var inkHeight: Int32 = 0
        pango_layout_get_pixel_size(layout, &inkWidth, &inkHeight)
        return Double(inkHeight)
    }

    public func line(x1: Double, y1: Double, x2: Double, y2: Double, width lineWidth: Double = 0.5) {
        cairo_set_line_width(context, lineWidth)
        cairo_move_to(context, x1, y1)
        cairo_line_to(context, x2, y2)
        cairo_stroke(context)
    }

    public func newPage() {
        cairo_show_page(context)
    }

    /// Ends the last page and returns the file.
    public func finish() throws -> [UInt8] {
        if !finished {
            cairo_show_page(context)
            cairo_surface_finish(surface)
            finished = true
        }
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw PDFError(description: "cairo: \(String(cString: cairo_status_to_string(status)))")
        }
        return sink.bytes
    }

    /// Where cairo's stream callback appends the bytes.
    private final class Sink {
        var bytes: [UInt8] = []
    }
}
