/*
 * KafkaPeer: Apache Kafka's own Java client as the reference kgw is checked
 * against (tests/faults/0406-kafka-java-peers.sh). Run as a single-file
 * program on the cluster's classpath:
 *
 *   java -cp "$(cat "$KGW_KAFKA_DIR/classpath")" KafkaPeer.java dump BOOTSTRAP TOPIC
 *       every record of TOPIC, read with the Java consumer (bytes, no
 *       deserialisation), one line each:
 *       "<partition> <offset> <key base64 or -> <value base64 or -> <name>=<value base64>,..."
 *   java -cp ... KafkaPeer.java partition PARTITIONS < keys
 *       for each line of stdin (a key, as UTF-8 bytes), the partition the Java
 *       producer's default partitioner picks: BuiltInPartitioner.partitionForKey,
 *       murmur2 of the key bytes, positive, modulo PARTITIONS.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class KafkaPeer {
    static String b64(byte[] b) {
        return b == null ? "-" : Base64.getEncoder().encodeToString(b);
    }

    static void dump(String bootstrap, String topic) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("enable.auto.commit", "false");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30)))
                parts.add(new TopicPartition(topic, p.partition()));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
            long deadline = System.currentTimeMillis() + 60_000;
            StringBuilder out = new StringBuilder();
            while (System.currentTimeMillis() < deadline) {
                boolean done = true;
                for (TopicPartition tp : parts)
                    if (consumer.position(tp) < end.get(tp))
                        done = false;
                if (done)
                    break;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.append(r.partition()).append(' ').append(r.offset()).append(' ')
                        .append(b64(r.key())).append(' ').append(b64(r.value())).append(' ');
                    String sep = "";
                    for (Header h : r.headers()) {
                        out.append(sep).append(h.key()).append('=').append(b64(h.value()));
                        sep = ",";
                    }
                    if (sep.isEmpty())
                        out.append('-');
                    out.append('\n');
                }
            }
            System.out.print(out);
        }
    }

    static void partition(int n) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null)
            out.append(BuiltInPartitioner.partitionForKey(line.getBytes(StandardCharsets.UTF_8), n))
                .append('\n');
        System.out.print(out);
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("dump")) {
            dump(args[1], args[2]);
        } else if (args.length == 2 && args[0].equals("partition")) {
            partition(Integer.parseInt(args[1]));
        } else {
            System.err.println("usage: KafkaPeer dump BOOTSTRAP TOPIC | partition PARTITIONS < keys");
            System.exit(2);
        }
    }
}
