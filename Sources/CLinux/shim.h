#ifndef XSC_CLINUX_SHIM_H
#define XSC_CLINUX_SHIM_H
// Linux interfaces Swift's Glibc module leaves out: epoll and eventfd.
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
#endif
