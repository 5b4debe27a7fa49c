package dev.esactors.actors;

/** Marks messages that cross nodes: bound to Akka's jackson-cbor serializer in application.conf. */
public interface CborSerializable {
}
