package http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * Strict JSON for the edge: no type coercion (a string is never a number, 1.5 is never 1), no unknown fields, no
 * duplicate keys, no trailing data, bounded nesting and string lengths. Everything it refuses becomes a 400.
 */
public final class Json {
  /** Longest JSON string accepted (characters); the body size limit usually bites first. */
  private static final int MAX_STRING_CHARS = 16_384;
  private static final int MAX_NUMBER_CHARS = 32;

  private final ObjectMapper mapper;

  public Json(int maxDepth) {
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(maxDepth)
            .maxStringLength(MAX_STRING_CHARS)
            .maxNumberLength(MAX_NUMBER_CHARS)
            .build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    JsonMapper mapper = JsonMapper.builder(factory)
        .addModule(new JavaTimeModule())
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .build();
    // A value must arrive in its own JSON shape: no number for a string, no string or float for a number...
    forbid(mapper, LogicalType.Textual, CoercionInputShape.Integer, CoercionInputShape.Float, CoercionInputShape.Boolean);
    forbid(mapper, LogicalType.Integer, CoercionInputShape.Float, CoercionInputShape.String,
        CoercionInputShape.EmptyString, CoercionInputShape.Boolean);
    forbid(mapper, LogicalType.Boolean, CoercionInputShape.Integer, CoercionInputShape.Float,
        CoercionInputShape.String, CoercionInputShape.EmptyString);
    this.mapper = mapper;
  }

  private static void forbid(ObjectMapper mapper, LogicalType type, CoercionInputShape... shapes) {
    for (CoercionInputShape shape : shapes) {
      mapper.coercionConfigFor(type).setCoercion(shape, CoercionAction.Fail);
    }
  }

  /** Reads a request body, or throws {@link BadJson} saying in plain words what is wrong with it. */
  public <T> T read(byte[] body, Class<T> type) {
    if (body.length == 0) {
      throw new BadJson("the request body is empty; a JSON object is expected");
    }
    try (JsonParser parser = mapper.createParser(strictUtf8(body))) {
      T value = mapper.readValue(parser, type);
      if (value == null) {
        throw new BadJson("a JSON object is expected, not null");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw new BadJson(describe(e));
    } catch (IOException e) {
      throw new BadJson("the request body could not be read as JSON");
    }
  }

  /** Jackson's own decoder lets overlong forms and encoded surrogates through; the JDK's strict one does not. */
  private static String strictUtf8(byte[] body) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      throw new BadJson("the request body is not valid UTF-8");
    }
  }

  public byte[] write(Object value) {
    try {
      return mapper.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("could not write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  private static String describe(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException unknown) {
      return "unknown field '" + unknown.getPropertyName() + "'";
    }
    if (e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null) {
      return "invalid JSON" + where(mismatch) + ": expected " + shapeOf(mismatch.getTargetType());
    }
    if (e instanceof InvalidFormatException || e instanceof JsonMappingException) {
      return "invalid JSON" + where((JsonMappingException) e) + ": " + firstSentence(e.getOriginalMessage());
    }
    String at = e.getLocation() == null ? ""
        : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    return "malformed JSON" + at + ": " + firstSentence(e.getOriginalMessage());
  }

  private static String where(JsonMappingException e) {
    if (e.getPath().isEmpty()) {
      return "";
    }
    return " at " + e.getPath().stream()
        .map(ref -> ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining())
        .replaceFirst("^\\.", "");
  }

  private static String shapeOf(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    } else if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    } else if (type == String.class) {
      return "a string";
    } else if (java.util.Collection.class.isAssignableFrom(type)) {
      return "an array";
    } else if (type.isEnum()) {
      return "one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT);
    }
    return "a JSON object";
  }

  /** Jackson's messages run on into Java class names and source excerpts; the first clause is what a client needs. */
  private static String firstSentence(String message) {
    String text = message == null ? "unreadable input" : message;
    for (String cut : new String[] {"\n", " (for ", " (through ", " at [Source", " (but ", " (start marker"}) {
      int at = text.indexOf(cut);
      if (at > 0) {
        text = text.substring(0, at);
      }
    }
    return text.replace('`', '\'');
  }

  /** A request body that is not the JSON this edge expects. */
  public static final class BadJson extends RuntimeException {
    BadJson(String message) {
      super(message, null, false, false);
    }
  }
}
