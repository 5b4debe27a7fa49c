package dev.esactors.actors.wire;

/** Marks messages that cross nodes: bound to Akka's jackson-cbor serializer in application.conf. */
public interface CborSerializable {
}
