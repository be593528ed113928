package actors;

/** Marker for every message, event and snapshot that crosses the wire or enters the journal (bound to Jackson CBOR). */
public interface CborSerializable {}
