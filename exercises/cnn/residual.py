"""Residual blocks: basic and bottleneck, projection shortcut, and why gradients survive.

Source questions: Q27: 为什么残差连接能避免梯度消失 (s001-27); Q28: 分类网络的发展史 (s001-28).

1. ``BasicBlock(in_channels, out_channels, stride=1)``, an ``nn.Module`` (ResNet-18/34) with
   exactly these submodules::

       conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
       bn1   = BatchNorm2d(out_channels)
       conv2 = Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
       bn2   = BatchNorm2d(out_channels)
       downsample = None, or Sequential(Conv2d(in_channels, out_channels, 1, stride=stride,
                                               bias=False), BatchNorm2d(out_channels))

   ``downsample`` is ``None`` exactly when the input can be added as it is (``stride == 1`` and
   ``in_channels == out_channels``); otherwise it is the projection shortcut above.
   ``forward(x) = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`` where ``shortcut`` is the
   identity or ``downsample``. Input ``(N, in_channels, H, W)``, output
   ``(N, out_channels, ceil(H / stride), ceil(W / stride))``.

2. ``Bottleneck(in_channels, width, stride=1)`` (ResNet-50 and deeper), with class attribute
   ``expansion = 4`` and output channels ``4 * width``::

       conv1 = Conv2d(in_channels, width, 1, bias=False)
       bn1   = BatchNorm2d(width)
       conv2 = Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
       bn2   = BatchNorm2d(width)
       conv3 = Conv2d(width, 4 * width, 1, bias=False)
       bn3   = BatchNorm2d(4 * width)
       downsample: None when stride == 1 and in_channels == 4 * width, else
                   Sequential(Conv2d(in_channels, 4 * width, 1, stride=stride, bias=False),
                              BatchNorm2d(4 * width))

   The stride sits on the 3x3 conv (torch's convention). ``forward(x) =
   relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))``.

   Convention for both blocks, as torch's ResNet defines it: the final ReLU comes **after** the
   addition. So a block whose branch outputs zero (e.g. its last BN has weight 0 and bias 0)
   returns ``relu(x)``: the identity on the non-negative inputs that a previous block's ReLU
   produces. Blocks are used as built (training mode: BN normalises with batch statistics).

3. ``input_gradient(weights, x, residual)``: a stack of fully connected tanh layers, each weight
   ``(D, D)`` float64, input ``x`` of shape ``(B, D)``::

       plain:    h_{l+1} = tanh(h_l @ W_l.T)
       residual: h_{l+1} = h_l + tanh(h_l @ W_l.T)

   Return ``d sum(h_L) / d x`` of shape ``(B, D)``, written out by hand (the chain rule, layer by
   layer, backwards). ``torch.autograd`` (``grad``, ``backward``) is not allowed here. Do not
   modify the inputs. With 30 layers of small weights the plain stack's gradient vanishes; the
   residual stack's does not, since each layer's Jacobian is ``I + J_l``.

Example::

    >>> block = BasicBlock(16, 32, stride=2)
    >>> block.downsample is None, tuple(block(torch.randn(2, 16, 9, 9)).shape)
    (False, (2, 32, 5, 5))
    >>> input_gradient([torch.zeros(3, 3, dtype=torch.float64)], torch.ones(1, 3,
    ...                dtype=torch.float64), residual=True)
    tensor([[1., 1., 1.]], dtype=torch.float64)
"""

from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        raise NotImplementedError("BasicBlock.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("BasicBlock.forward")


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        raise NotImplementedError("Bottleneck.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Bottleneck.forward")


def input_gradient(weights: list[torch.Tensor], x: torch.Tensor, residual: bool) -> torch.Tensor:
    """``d sum(h_L) / d x`` for the plain or residual tanh stack, by hand."""
    raise NotImplementedError("input_gradient")
