/*
 * net_opts.h: the socket options a guest may set and read: the usual ones, nothing
 * that reaches past its socket. One table for the calls (net_ops.c) and for the
 * sandbox's filter, which lets exactly these through (host/filter/rules.c).
 */
#ifndef UKMON_NET_OPTS_H
#define UKMON_NET_OPTS_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/socket.h>

static const struct net_opt {
    int level, name;
    bool set;               /* settable, not only readable */
} net_opts[] = {
    {SOL_SOCKET, SO_REUSEADDR, true}, {SOL_SOCKET, SO_REUSEPORT, true},
    {SOL_SOCKET, SO_KEEPALIVE, true}, {SOL_SOCKET, SO_RCVBUF, true},
    {SOL_SOCKET, SO_SNDBUF, true}, {SOL_SOCKET, SO_LINGER, true},
    {SOL_SOCKET, SO_RCVLOWAT, true}, {SOL_SOCKET, SO_OOBINLINE, true},
    {SOL_SOCKET, SO_ERROR, false}, {SOL_SOCKET, SO_TYPE, false},
    {SOL_SOCKET, SO_DOMAIN, false}, {SOL_SOCKET, SO_PROTOCOL, false},
    {SOL_SOCKET, SO_ACCEPTCONN, false},
    {IPPROTO_TCP, TCP_NODELAY, true}, {IPPROTO_TCP, TCP_MAXSEG, true},
    {IPPROTO_TCP, TCP_CORK, true}, {IPPROTO_TCP, TCP_KEEPIDLE, true},
    {IPPROTO_TCP, TCP_KEEPINTVL, true}, {IPPROTO_TCP, TCP_KEEPCNT, true},
    {IPPROTO_TCP, TCP_DEFER_ACCEPT, true}, {IPPROTO_TCP, TCP_QUICKACK, true},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, true},
    {IPPROTO_IPV6, IPV6_V6ONLY, true},
};

#endif
