// A reference for the fake's field HTML: cleans each input with jsoup exactly as RSpace's
// TextFieldDataSanitizer configures it (jsoup's relaxed tags and attributes as RSpace lists them,
// id/class/style on every element, address and hr, any data-* attribute, data:image sources,
// relative links kept, XML output), so that tests can compare the fake with jsoup itself.
//
// Protocol: on stdin, records of a 4-byte big-endian length and that many bytes of UTF-8 input;
// on stdout, one such record with the cleaned body for each.
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Attribute;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.safety.Safelist;

public class JsoupClean {
  static final String BASE = "http://localhost:8080";

  static class RSpaceSafelist extends Safelist {
    RSpaceSafelist() {
      addTags("a", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
          "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "i", "img", "li", "object",
          "ol", "p", "param", "pre", "q", "small", "span", "strike", "strong", "sub", "sup",
          "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "address", "hr");
      addAttributes("a", "href", "title", "rel", "target");
      addAttributes("blockquote", "cite");
      addAttributes("col", "span", "width");
      addAttributes("colgroup", "span", "width");
      addAttributes("img", "align", "alt", "height", "src", "title", "width");
      addAttributes("object", "data", "type", "name", "width", "height");
      addAttributes("ol", "start", "type");
      addAttributes("param", "name", "value");
      addAttributes("q", "cite");
      addAttributes("table", "summary", "width", "border", "cellspacing", "cellpadding");
      addAttributes("td", "abbr", "axis", "colspan", "rowspan", "width");
      addAttributes("th", "abbr", "axis", "colspan", "rowspan", "scope", "width");
      addAttributes("ul", "type");
      addAttributes(":all", "id", "class", "style");
      addProtocols("a", "href", "ftp", "http", "https", "mailto");
      addProtocols("blockquote", "cite", "http", "https");
      addProtocols("cite", "cite", "http", "https");
      addProtocols("img", "src", "http", "https");
      addProtocols("q", "cite", "http", "https");
      preserveRelativeLinks(true);
    }

    @Override
    protected boolean isSafeAttribute(String tagName, Element el, Attribute attr) {
      return super.isSafeAttribute(tagName, el, attr)
          || attr.getKey().startsWith("data-")
          || (tagName.equals("img") && attr.getKey().equals("src")
              && attr.getValue().startsWith("data:image"));
    }
  }

  public static void main(String[] args) throws Exception {
    Safelist safelist = new RSpaceSafelist();
    Document.OutputSettings settings =
        new Document.OutputSettings().syntax(Document.OutputSettings.Syntax.xml);
    DataInputStream in = new DataInputStream(System.in);
    DataOutputStream out = new DataOutputStream(System.out);
    while (true) {
      int length;
      try {
        length = in.readInt();
      } catch (EOFException end) {
        break;
      }
      byte[] bytes = new byte[length];
      in.readFully(bytes);
      String input = "<base href='" + BASE + "'/>" + new String(bytes, StandardCharsets.UTF_8);
      byte[] cleaned =
          Jsoup.clean(input, BASE, safelist, settings).getBytes(StandardCharsets.UTF_8);
      out.writeInt(cleaned.length);
      out.write(cleaned);
      out.flush();
    }
  }
}
