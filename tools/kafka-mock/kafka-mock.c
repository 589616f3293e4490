/*
 * A Kafka cluster for tests: librdkafka's built-in mock brokers on 127.0.0.1, driven over stdin.
 *
 *   kafka-mock [brokers=3]
 *
 * Prints "bootstrap <host:port,...>" once the brokers listen, then reads one command per line
 * and answers each with "ok" or "error <why>":
 *
 *   topic <name> <partitions> [replication]      create a topic
 *   down <broker-id> | up <broker-id>            take a broker down (closes its connections) or back
 *   rtt <broker-id> <ms>                         add latency to a broker's responses
 *   errors <api-key> <error-code> [count=1]      the next <count> requests of that API fail
 *   clear <api-key>                              drop queued errors of that API
 *   leader <topic> <partition> <broker-id>       move a partition's leader
 *   coordinator <group|transaction> <key> <id>   set a group's or transaction's coordinator
 *   quit                                         (or end of input) shut the cluster down
 *
 * Builds with: cc -O2 -o kafka-mock kafka-mock.c -lrdkafka
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(rd_kafka_resp_err_t err) {
  if (err) printf("error %s\n", rd_kafka_err2str(err));
  else printf("ok\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 3;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only owns the mock cluster; it is never used as a client. */
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "kafka-mock: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) {
    fprintf(stderr, "kafka-mock: could not create the mock cluster\n");
    return 1;
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[1024];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[64] = "", a[512] = "", b[512] = "", c[64] = "", d[64] = "";
    int n = sscanf(line, "%63s %511s %511s %63s %63s", cmd, a, b, c, d);
    if (n <= 0) continue;
    if (!strcmp(cmd, "quit")) break;
    if (!strcmp(cmd, "topic") && n >= 3) {
      reply(rd_kafka_mock_topic_create(mc, a, atoi(b), n >= 4 ? atoi(c) : 1));
    } else if (!strcmp(cmd, "down") && n >= 2) {
      reply(rd_kafka_mock_broker_set_down(mc, atoi(a)));
    } else if (!strcmp(cmd, "up") && n >= 2) {
      reply(rd_kafka_mock_broker_set_up(mc, atoi(a)));
    } else if (!strcmp(cmd, "rtt") && n >= 3) {
      reply(rd_kafka_mock_broker_set_rtt(mc, atoi(a), atoi(b)));
    } else if (!strcmp(cmd, "errors") && n >= 3) {
      int count = n >= 4 ? atoi(c) : 1;
      rd_kafka_resp_err_t *errs = calloc(count > 0 ? count : 1, sizeof *errs);
      for (int i = 0; i < count; i++) errs[i] = (rd_kafka_resp_err_t)atoi(b);
      rd_kafka_mock_push_request_errors_array(mc, atoi(a), count, errs);
      free(errs);
      reply(RD_KAFKA_RESP_ERR_NO_ERROR);
    } else if (!strcmp(cmd, "clear") && n >= 2) {
      rd_kafka_mock_clear_request_errors(mc, atoi(a));
      reply(RD_KAFKA_RESP_ERR_NO_ERROR);
    } else if (!strcmp(cmd, "leader") && n >= 4) {
      reply(rd_kafka_mock_partition_set_leader(mc, a, atoi(b), atoi(c)));
    } else if (!strcmp(cmd, "coordinator") && n >= 4) {
      reply(rd_kafka_mock_coordinator_set(mc, a, b, atoi(c)));
    } else {
      printf("error unknown or incomplete command: %s", line);
      fflush(stdout);
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
