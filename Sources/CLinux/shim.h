#ifndef XSC_CLINUX_SHIM_H
#define XSC_CLINUX_SHIM_H
// Linux interfaces Swift's Glibc module leaves out: epoll, eventfd and classic BPF socket
// filters.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <linux/filter.h>

// Attaches (replacing any before) a classic BPF program to a socket: the kernel runs it on every
// packet the socket receives, a listening TCP socket's SYNs included, and drops those it
// returns 0 for. The kernel copies the program; `code` may be freed afterwards.
static inline int xsc_attach_socket_filter(int fd, const struct sock_filter *code, unsigned short count) {
    struct sock_fprog program = { .len = count, .filter = (struct sock_filter *)code };
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program);
}

// Removes a socket's filter (ENOENT when it had none).
static inline int xsc_detach_socket_filter(int fd) {
    int unused = 0;
    return setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof unused);
}
#endif
