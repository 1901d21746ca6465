/* A bare HTTP upload sink for benchmarks/upload_headroom.py: the floor a fake server is compared with.
 *
 * One thread, one connection at a time: read the request head, read as many
 * body bytes as its Content-Length says into one reused buffer (nothing is
 * checked or kept), answer "stored", close. It prints its port on the first
 * line of its output and serves until it is killed. The receive buffer is
 * fixed as the upload workloads fix the fake server's (rcvbuf, 4 MiB).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_LIMIT 65536
#define RECEIVE_BUFFER (4 << 20)

static char buffer[1 << 20];

static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nstored";

static void serve(int connection) {
    size_t got = 0;
    char *end;
    while (!(end = memmem(buffer, got, "\r\n\r\n", 4))) {
        if (got == HEAD_LIMIT) return;
        ssize_t count = recv(connection, buffer + got, HEAD_LIMIT - got, 0);
        if (count <= 0) return;
        got += (size_t)count;
    }
    *end = '\0';
    char *length_field = strcasestr(buffer, "\r\ncontent-length:");
    long left = length_field ? atol(length_field + 17) : 0;
    left -= (long)(got - (size_t)(end + 4 - buffer));
    while (left > 0) {
        size_t want = (size_t)left < sizeof buffer ? (size_t)left : sizeof buffer;
        ssize_t count = recv(connection, buffer, want, 0);
        if (count <= 0) return;
        left -= count;
    }
    send(connection, reply, sizeof reply - 1, 0);
}

int main(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int size = RECEIVE_BUFFER;
    if (setsockopt(listener, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("bare_http_sink");
        return 1;
    }
    printf("%d\n", ntohs(address.sin_port));
    fflush(stdout);
    for (;;) {
        int connection = accept(listener, NULL, NULL);
        if (connection < 0) continue;
        serve(connection);
        close(connection);
    }
}
