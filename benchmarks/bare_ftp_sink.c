/* A bare FTP upload sink for benchmarks/upload_headroom.py: the floor the fake FTP server is compared with.
 *
 * One thread, one session at a time, the dialogue of an anonymous upload in
 * passive mode: 220, USER 331, PASS 230, TYPE 200, PASV 227, STOR 150, the
 * data connection read to its end into one reused buffer (nothing is
 * checked or kept), 226, QUIT 221; any other command gets 200. It prints its
 * port on the first line of its output and serves until it is killed. The
 * data connections' receive buffer is fixed as the upload workloads fix the
 * fake server's (rcvbuf, 4 MiB).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECEIVE_BUFFER (4 << 20)

static char buffer[1 << 20];

static int listen_on_loopback(int receive_buffer, int *port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer && setsockopt(listener, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer,
                                     sizeof receive_buffer) != 0)
        setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 16) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        close(listener);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return listener;
}

static int say(int control, const char *reply) {
    size_t length = strlen(reply);
    return send(control, reply, length, 0) == (ssize_t)length ? 0 : -1;
}

/* The next command line (CR LF cut off) in line; 0 at the end of the session. */
static int next_command(int control, char *line, size_t size, char *pending, size_t *held) {
    for (;;) {
        char *end = memchr(pending, '\n', *held);
        if (end) {
            size_t length = (size_t)(end - pending);
            size_t copied = length < size - 1 ? length : size - 1;
            memcpy(line, pending, copied);
            line[copied] = '\0';
            if (copied && line[copied - 1] == '\r') line[copied - 1] = '\0';
            *held -= length + 1;
            memmove(pending, end + 1, *held);
            return 1;
        }
        if (*held == 4096) return 0;
        ssize_t count = recv(control, pending + *held, 4096 - *held, 0);
        if (count <= 0) return 0;
        *held += (size_t)count;
    }
}

static void serve(int control) {
    char pending[4096], line[4096], reply[128];
    size_t held = 0;
    int passive = -1;
    if (say(control, "220 bare sink\r\n") != 0) return;
    while (next_command(control, line, sizeof line, pending, &held)) {
        int ok;
        if (!strncasecmp(line, "USER", 4)) {
            ok = say(control, "331 Password, please.\r\n");
        } else if (!strncasecmp(line, "PASS", 4)) {
            ok = say(control, "230 Logged in.\r\n");
        } else if (!strncasecmp(line, "PASV", 4)) {
            int port;
            if (passive >= 0) close(passive);
            passive = listen_on_loopback(RECEIVE_BUFFER, &port);
            snprintf(reply, sizeof reply, "227 Entering Passive Mode (127,0,0,1,%d,%d).\r\n", port >> 8,
                     port & 0xff);
            ok = say(control, passive >= 0 ? reply : "425 No data port.\r\n");
        } else if (!strncasecmp(line, "STOR", 4)) {
            if (passive < 0) {
                ok = say(control, "425 Use PASV first.\r\n");
                continue;
            }
            ok = say(control, "150 Ready.\r\n");
            int data = accept(passive, NULL, NULL);
            close(passive);
            passive = -1;
            if (data < 0) break;
            while (recv(data, buffer, sizeof buffer, 0) > 0) {
            }
            close(data);
            ok = ok || say(control, "226 Transfer complete.\r\n");
        } else if (!strncasecmp(line, "QUIT", 4)) {
            say(control, "221 Bye.\r\n");
            break;
        } else {
            ok = say(control, "200 OK.\r\n");
        }
        if (ok != 0) break;
    }
    if (passive >= 0) close(passive);
}

int main(void) {
    int port;
    int listener = listen_on_loopback(0, &port);
    if (listener < 0) {
        perror("bare_ftp_sink");
        return 1;
    }
    printf("%d\n", port);
    fflush(stdout);
    for (;;) {
        int control = accept(listener, NULL, NULL);
        if (control < 0) continue;
        /* Replies go out at once: held back for the ACK of the one before (Nagle), as the client
           acknowledges late (it sends nothing on the control connection during the transfer),
           "226" waited 40 ms. The fake server does the same. */
        int on = 1;
        setsockopt(control, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        serve(control);
        close(control);
    }
}
