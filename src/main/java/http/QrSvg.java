package http;

import io.nayuki.qrcodegen.QrCode;

/**
 * A QR code as an SVG image: one path of unit squares on a white square with the standard four-module quiet zone,
 * scaled by the browser to any size without blur (a projector needs that).
 */
final class QrSvg {
  private static final int QUIET_ZONE = 4;

  private QrSvg() {}

  /** {@code text} (a URL) as a QR code with medium error correction, readable with a quarter of it smudged. */
  static String of(String text) {
    QrCode code = QrCode.encodeText(text, QrCode.Ecc.MEDIUM);
    int size = code.size + 2 * QUIET_ZONE;
    StringBuilder path = new StringBuilder();
    for (int y = 0; y < code.size; y++) {
      for (int x = 0; x < code.size; x++) {
        if (code.getModule(x, y)) {
          path.append('M').append(x + QUIET_ZONE).append(',').append(y + QUIET_ZONE).append("h1v1h-1z");
        }
      }
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + " " + size + "\" "
        + "shape-rendering=\"crispEdges\" role=\"img\">"
        + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
        + "<path fill=\"#000\" d=\"" + path + "\"/></svg>\n";
  }
}
